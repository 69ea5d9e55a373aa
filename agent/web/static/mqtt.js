// The page's MQTT client: MQTT 3.1.1 over a WebSocket, what the page uses and nothing more
// (connect with a name and password, subscribe, unsubscribe, publish at QoS 0 or 1, receive at
// QoS 0 or 1, keep alive, reconnect). A general library costs a phone ten times the bytes and
// a third of a second of CPU before the first message; the browser's WebSocket does the rest.
// Packets as the OASIS MQTT 3.1.1 standard, section 3, lays them out.
'use strict';

const mqtt = (() => {
  const CONNECT = 1, CONNACK = 2, PUBLISH = 3, PUBACK = 4, SUBSCRIBE = 8, UNSUBSCRIBE = 10, PINGREQ = 12, DISCONNECT = 14;
  const enc = new TextEncoder(), dec = new TextDecoder();

  const u16 = (n) => new Uint8Array([n >> 8, n & 255]);
  const utf8 = (s) => {
    const b = enc.encode(s);
    const out = new Uint8Array(2 + b.length);
    out.set(u16(b.length));
    out.set(b, 2);
    return out;
  };

  // packet is a fixed header (type, flags, remaining length) and the parts after it.
  function packet(type, flags, ...parts) {
    const length = parts.reduce((n, p) => n + p.length, 0);
    const head = [(type << 4) | flags];
    let n = length;
    do {
      let digit = n % 128;
      n = Math.floor(n / 128);
      if (n > 0) digit |= 128;
      head.push(digit);
    } while (n > 0);
    const out = new Uint8Array(head.length + length);
    out.set(head);
    let at = head.length;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  class Client {
    constructor(url, o) {
      this.url = url;
      this.o = { keepalive: 60, reconnectPeriod: 3000, connectTimeout: 8000, ...o };
      this.handlers = {};
      this.connected = false;
      this.ended = false;
      this.nextId = 0;
      this.open();
    }

    on(event, fn) {
      (this.handlers[event] ||= []).push(fn);
      return this;
    }

    emit(event, ...args) {
      for (const fn of this.handlers[event] || []) fn(...args);
    }

    id() {
      this.nextId = (this.nextId % 65535) + 1;
      return this.nextId;
    }

    open() {
      const ws = new WebSocket(this.url, 'mqtt');
      ws.binaryType = 'arraybuffer';
      this.ws = ws;
      this.buf = new Uint8Array(0);
      const timeout = setTimeout(() => ws.close(), this.o.connectTimeout);
      ws.onopen = () => {
        const { clientId, username, password, keepalive } = this.o;
        const flags = 0x02 | (username !== undefined ? 0x80 : 0) | (password !== undefined ? 0x40 : 0);
        const parts = [utf8('MQTT'), new Uint8Array([4, flags]), u16(keepalive), utf8(clientId)];
        if (username !== undefined) parts.push(utf8(username));
        if (password !== undefined) parts.push(utf8(password));
        this.send(packet(CONNECT, 0, ...parts));
      };
      ws.onmessage = (e) => {
        const more = new Uint8Array(e.data);
        const all = new Uint8Array(this.buf.length + more.length);
        all.set(this.buf);
        all.set(more, this.buf.length);
        this.buf = all;
        this.heard = Date.now();
        this.read();
      };
      ws.onclose = () => {
        clearTimeout(timeout);
        clearInterval(this.ping);
        const was = this.connected; // false: it never got through
        this.connected = false;
        if (ws !== this.ws) return;
        this.emit('close', was);
        if (!this.ended) this.retry = setTimeout(() => this.open(), this.o.reconnectPeriod);
      };
      this.connectTimer = timeout;
    }

    // read takes every whole packet from the buffer.
    read() {
      for (;;) {
        const b = this.buf;
        let length = 0, mult = 1, i = 1;
        for (; ; i++) {
          if (i >= b.length || i > 4) return;
          length += (b[i] & 127) * mult;
          mult *= 128;
          if (!(b[i] & 128)) break;
        }
        const start = i + 1, end = start + length;
        if (b.length < end) return;
        this.handle(b[0] >> 4, b[0] & 15, b.subarray(start, end));
        this.buf = b.subarray(end);
      }
    }

    handle(type, flags, body) {
      if (type === CONNACK) {
        clearTimeout(this.connectTimer);
        if (body[1] !== 0) {
          this.emit('error', Object.assign(new Error(`the broker refused the connection (code ${body[1]})`), { code: body[1] }));
          this.end();
          return;
        }
        this.connected = true;
        this.heard = Date.now();
        this.ping = setInterval(() => this.keepAlive(), this.o.keepalive * 500);
        this.emit('connect');
      } else if (type === PUBLISH) {
        const qos = (flags >> 1) & 3;
        const topicLength = (body[0] << 8) | body[1];
        const topic = dec.decode(body.subarray(2, 2 + topicLength));
        let at = 2 + topicLength;
        if (qos > 0) {
          this.send(packet(PUBACK, 0, body.subarray(at, at + 2)));
          at += 2;
        }
        this.emit('message', topic, dec.decode(body.subarray(at)), { retain: Boolean(flags & 1) });
      }
    }

    // keepAlive pings the broker, and gives up on one silent for a keep-alive and a half.
    keepAlive() {
      if (Date.now() - this.heard > this.o.keepalive * 1500) {
        this.ws.close();
        return;
      }
      this.send(packet(PINGREQ, 0));
    }

    send(bytes) {
      if (this.ws.readyState === WebSocket.OPEN) this.ws.send(bytes);
    }

    subscribe(topics, o = {}) {
      const parts = [u16(this.id())];
      for (const t of [].concat(topics)) parts.push(utf8(t), new Uint8Array([o.qos || 0]));
      this.send(packet(SUBSCRIBE, 2, ...parts));
    }

    unsubscribe(topics) {
      this.send(packet(UNSUBSCRIBE, 2, u16(this.id()), ...[].concat(topics).map(utf8)));
    }

    publish(topic, message, o = {}) {
      const qos = o.qos || 0;
      const parts = [utf8(topic)];
      if (qos > 0) parts.push(u16(this.id()));
      parts.push(enc.encode(message));
      this.send(packet(PUBLISH, (qos << 1) | (o.retain ? 1 : 0), ...parts));
    }

    // end disconnects for good.
    end() {
      this.ended = true;
      clearTimeout(this.retry);
      this.send(packet(DISCONNECT, 0));
      this.ws.close();
    }
  }

  return { connect: (url, o) => new Client(url, o) };
})();
