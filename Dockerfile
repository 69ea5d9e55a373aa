# Multi-stage build of static binaries for linux/amd64, linux/arm64 and linux/arm/v6, v7:
#   docker buildx build --platform linux/arm64,linux/arm/v7,linux/arm/v6,linux/amd64 \
#     --build-arg VERSION=$(git describe --tags --always) -t sprinkler .
FROM --platform=$BUILDPLATFORM golang:1.26 AS build
ARG TARGETOS=linux
ARG TARGETARCH=amd64
ARG TARGETVARIANT=
ARG VERSION=dev
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN GOARM="${TARGETVARIANT#v}" CGO_ENABLED=0 GOOS="$TARGETOS" GOARCH="$TARGETARCH" \
    go build -trimpath -ldflags "-s -w -X sprinkler/version.Version=${VERSION}" \
    -o /out/ ./agent ./broker ./ctl

FROM scratch
COPY --from=build /out/agent /out/broker /out/ctl /usr/local/bin/
COPY configs/agent.yaml configs/profiles.yaml /etc/sprinkler/
ENV SPRINKLER_STATE_DIR=/var/lib/sprinkler
VOLUME ["/var/lib/sprinkler"]
EXPOSE 1883
ENTRYPOINT ["/usr/local/bin/agent"]
CMD ["--config", "/etc/sprinkler/agent.yaml"]
