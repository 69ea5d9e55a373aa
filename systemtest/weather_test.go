package systemtest

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"sprinkler/broker/brokertest"
)

// TestWeatherFromTheCommandLine runs the agent on the shipped weather example as a process and
// asks it with sprinklerctl: et0 answers the paper's daily example (FAO-56 example 18,
// Brussels on 6 July: 3.9 mm) and its missing-data case; Home Assistant's outdoor readings,
// published as the shipped package does, show in weather with their topic and age, and the
// lawn's soil with its next run from the first day; weather compute decides the day.
func TestWeatherFromTheCommandLine(t *testing.T) {
	url, _ := weatherAgent(t)

	code, out, stderr := ctl(t, url, "et0", "--date", "2026-07-06", "--latitude", "50.8", "--elevation", "100", "--tmin", "12.3", "--tmax", "21.5",
		"--rh-min", "63", "--rh-max", "84", "--wind", "2.7778", "--wind-height", "10", "--sunshine", "9.25")
	if code != 0 || !strings.HasPrefix(out, "ET0 3.88 mm/day by penman-monteith (Rs from sunshine hours)") || !regexp.MustCompile(`rn_mj_m2 +13\.28`).MatchString(out) {
		t.Errorf("et0 of FAO-56 example 18: %d %s %s", code, out, stderr)
	}
	if code, out, _ := ctl(t, url, "et0", "--date", "2026-07-15", "--latitude", "45.72", "--elevation", "200", "--tmin", "14.8", "--tmax", "26.6"); code != 0 ||
		!strings.HasPrefix(out, "ET0 5.03 mm/day by hargreaves") {
		t.Errorf("et0 with temperatures alone: %s", out)
	}
	if code, _, stderr := ctl(t, url, "et0", "--latitude", "50", "--tmin", "20", "--tmax", "10"); code == 0 || !strings.Contains(stderr, "tmax_c 10 is below tmin_c 20") {
		t.Errorf("et0 with tmax below tmin: %d %s", code, stderr)
	}

	station := brokertest.Connect(t, url)
	station.Publish("sprinkler/garden/input/outdoor", false, `{"temperature":18.4,"humidity":71,"wind_speed":7.2,"rain_today":12.3}`)
	station.Publish("sprinkler/garden/input/forecast_rain", true, "2.5")
	if code, out, stderr := ctl(t, url, "weather"); code != 0 || !regexp.MustCompile(`(?m)^temperature +18\.4 °C +\d+s +sprinkler/garden/input/outdoor +temperature$`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^wind +2 m/s at 2 m`).MatchString(out) || !regexp.MustCompile(`(?m)^forecast_rain +2\.5 mm`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^Lawn: [0-9.]+ mm lost since \d{4}-\d\d-\d\d, .* depletion [0-9.]+ of 39\.0 mm \(19\.5 readily available\)$`).MatchString(out) ||
		!strings.Contains(out, "  next run ") {
		t.Errorf("weather: %d\n%s%s", code, out, stderr)
	}
	if code, out, stderr := ctl(t, url, "weather", "compute"); code != 0 || !strings.Contains(out, "water level 100% for ") || !strings.Contains(out, "forecast for the next 24 h 2.5 mm") {
		t.Errorf("weather compute: %d\n%s%s", code, out, stderr)
	}
	if code, out, stderr := ctl(t, url, "weather", "--days", "14"); code != 0 || !strings.Contains(out, "DATE  ") || !strings.Contains(out, "██████████|") {
		t.Errorf("weather --days 14: %d\n%s%s", code, out, stderr)
	}
}

// weatherAgent runs an agent process on a copy of the shipped weather example.
func weatherAgent(t *testing.T) (string, *proc) {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"agent-weather.yaml", "profiles.yaml"} {
		b, err := os.ReadFile(filepath.Join("../configs", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return startAgentOn(t, "garden", filepath.Join(dir, "agent-weather.yaml"))
}

// TestWeatherOnTheWebPage: the page shows the day's decision of the weather, each zone's soil
// and why its next run is as long as it is, and a soil probe on zigbee2mqtt with its value, as
// Chromium renders them.
func TestWeatherOnTheWebPage(t *testing.T) {
	url, agent := weatherAgent(t)
	page := "http://" + agent.webPage(t) + "/"
	ctx := browser(t)
	probe := brokertest.Connect(t, url)
	probe.Publish("zigbee2mqtt/soil_veg", false, `{"soil_moisture":55,"battery":90}`)
	poll := func(expr string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Poll[bool](expr)(ctx, tg)
			return err
		})
	}
	err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(page),
		poll(`document.querySelector('#weather').textContent.includes('Weather: level 100 % for ')`),
		poll(`document.querySelector('#sensors').textContent.includes('soil-veg (55): active')`),
		poll(`document.querySelector('#soil').textContent.includes('Lawn: depletion 0.0 of 39.0 mm')`),
		poll(`document.querySelector('#soil').textContent.includes('Vegetables: depletion')`))
	if err != nil {
		text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('main').innerText`))
		t.Fatalf("%v\nthe page:\n%s", err, text)
	}
}
