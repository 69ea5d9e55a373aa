package systemtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"golang.org/x/crypto/bcrypt"

	"sprinkler/broker/brokertest"
	"sprinkler/topics"
)

// chromium returns the path of Debian's chromium, skipping the test without it unless
// SPRINKLER_REQUIRE_CHROMIUM is set (as CI does).
func chromium(t *testing.T) string {
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if os.Getenv("SPRINKLER_REQUIRE_CHROMIUM") != "" {
		t.Fatal("chromium is not installed (apt-get install chromium)")
	}
	t.Skip("chromium is not installed (apt-get install chromium)")
	return ""
}

// browser starts a headless chromium for the test, on loopback only.
func browser(t *testing.T) context.Context {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()), chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("no-first-run", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelBrowser := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelBrowser(); cancelAlloc() })
	return ctx
}

// TestWebPage drives the page in a real headless browser against a real agent: eight zones,
// zone 2 opened for a minute with its countdown and relay, closed again, the profile
// switched; then a viewer finds no button that would be refused. Screenshots of the desktop
// and phone layouts are taken on the way, as the README shows them.
func TestWebPage(t *testing.T) {
	dir := t.TempDir()
	hash, err := bcrypt.GenerateFromPassword([]byte("viewer-pw"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	users := filepath.Join(dir, "users.yaml")
	if err := os.WriteFile(users, fmt.Appendf(nil, "users:\n  - {name: neighbour, hash: %q, role: viewer}\n", hash), 0o600); err != nil {
		t.Fatal(err)
	}
	config := shipped(t)
	url, agent := startAgentOn(t, "garden", config, "SPRINKLER_BROKER_USERS_FILE="+users,
		"SPRINKLER_SAFETY_STAGGER=0s", quietZone())
	webAddr := agent.webPage(t)
	page := "http://" + webAddr + "/"
	ctx := browser(t)
	said := console(ctx)
	shots := filepath.Join(dir, "screenshots")
	_ = os.MkdirAll(shots, 0o755)
	shot := func(name string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			png, err := chromedp.FullScreenshot(100)(ctx, tg) // quality 100 makes a PNG
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(shots, name), png, 0o644)
		})
	}
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			page, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('main').innerText`))
			t.Fatalf("%s: %v\nthe page:\n%s", what, err, page)
		}
	}
	count := func(sel string) int {
		t.Helper()
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('`+sel+`').length`))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	wait := func(expr string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Poll[bool](expr)(ctx, tg)
			return err
		})
	}

	// press clicks a button from the page's script: a pointer click lands where the button was
	// when it was measured, and the editor moves as its preview fills.
	press := func(sel string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Evaluate[bool](fmt.Sprintf(`(() => { document.querySelector(%q).click(); return true; })()`, sel))(ctx, tg)
			return err
		})
	}
	// into scrolls to a section: the page asks for what a section shows once it comes near.
	into := func(sel string) chromedp.Action[chromedp.Void] {
		return wait(fmt.Sprintf(`(() => { document.querySelector(%q).scrollIntoView(); return true; })()`, sel))
	}
	set := func(sel, value string) chromedp.Action[chromedp.Void] {
		return wait(fmt.Sprintf(`(() => { const e = document.querySelector(%q); e.value = %q; e.dispatchEvent(new Event('change', {bubbles: true})); return true; })()`, sel, value))
	}
	do("load the page",
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(page),
		chromedp.WaitVisible(chromedp.CSS(`.zone[data-zone="8"] button.open`)),
		wait(`document.querySelector('#who').textContent !== ''`),
	)
	if n, who := count(".zone"), text("#who"); n != 8 || who != "admin without signing in" {
		t.Fatalf("%d zones, as %q", n, who)
	}
	in := newInspector(t, ctx, shots)
	in.check("home", `header`)
	installable, err := chromedp.Run(ctx, func(ctx context.Context, tg *chromedp.Target) (cdppage.GetInstallabilityErrorsResult, error) {
		return chromedp.Call(ctx, cdppage.GetInstallabilityErrors, cdp.Empty{})
	})
	if err != nil || len(installable.InstallabilityErrors) > 0 {
		for _, e := range installable.InstallabilityErrors {
			t.Errorf("not installable: %s %v", e.ErrorID, e.ErrorArguments)
		}
		t.Errorf("installability: %v", err)
	}
	do("the service worker keeps the page",
		wait(`navigator.serviceWorker.ready.then(() => true)`),
		chromedp.Reload(),
		wait(`!!navigator.serviceWorker.controller`),
	)
	do("open zone 2 for a minute",
		chromedp.SetValue(chromedp.CSS(`.zone[data-zone="2"] .minutes`), "1"),
		chromedp.Click(chromedp.CSS(`.zone[data-zone="2"] button.open`)),
		chromedp.WaitVisible(chromedp.CSS(`.zone.open[data-zone="2"] .left`)),
		wait(`document.querySelector('.zone[data-zone="2"] .left').textContent.endsWith('left')`),
	)
	if left := text(`.zone[data-zone="2"] .left`); !strings.HasPrefix(left, "1:00") && !strings.HasPrefix(left, "0:5") {
		t.Errorf("countdown %q, want about a minute", left)
	}
	do("take the screenshots",
		into(`#events-section`),
		chromedp.WaitVisible(chromedp.CSS(`#events li`)),
		into(`header`),
		shot("web-desktop.png"),
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		shot("web-phone.png"),
		chromedp.EmulateViewport(1280, 900),
	)
	z := zoneStatus(t, url, "2")
	if z.State != topics.StateOpen || z.EndsAt == nil || time.Until(z.EndsAt.Time) > time.Minute {
		t.Fatalf("zone 2 after the click: %+v", z)
	}
	do("a refusal stays until dismissed",
		set(`.zone[data-zone="2"] .minutes`, "0"),
		press(`.zone[data-zone="2"] button.open`),
		wait(`!document.querySelector('#message').hidden && document.querySelector('#message').textContent.includes('duration')`),
	)
	if msg := text("#message span"); !strings.Contains(msg, "duration") {
		t.Errorf("the refusal: %q", msg)
	}
	do("dismiss it",
		press(`#message button`),
		wait(`document.querySelector('#message').hidden`),
	)
	do("close zone 2",
		chromedp.Click(chromedp.CSS(`.zone[data-zone="2"] button.close`)),
		chromedp.WaitVisible(chromedp.CSS(`.zone.closed[data-zone="2"]`)),
	)
	if z := zoneStatus(t, url, "2"); z.State != topics.StateClosed {
		t.Fatalf("zone 2 after close: %+v", z)
	}
	do("pause and resume",
		chromedp.Click(chromedp.CSS(`#pause`)),
		wait(`document.querySelector('#paused').textContent.startsWith('Paused until')`),
		chromedp.WaitVisible(chromedp.CSS(`#resume`)),
	)
	if code, stdout, _ := ctl(t, url, "status"); code != 0 || !strings.Contains(stdout, "paused until") {
		t.Fatalf("status after the page paused: %s", stdout)
	}
	do("resume",
		chromedp.Click(chromedp.CSS(`#resume`)),
		wait(`document.querySelector('#paused').textContent === ''`),
		chromedp.WaitVisible(chromedp.CSS(`#pause`)),
	)
	do("water zones 4 then 5 in sequence",
		press(`#run-once`),
		chromedp.WaitVisible(chromedp.CSS(`.run-once`)),
		set(`.run-once .step-zone`, "4"),
		set(`.run-once .step-minutes`, "5"),
		press(`.run-once .actions button:first-child`),
		set(`.run-once li:nth-child(2) .step-zone`, "5"),
		press(`.run-once .primary`),
		wait(`!document.querySelector('.run-once')`),
		chromedp.WaitVisible(chromedp.CSS(`.zone.open[data-zone="4"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.zone.queued[data-zone="5"]`)),
	)
	if z := zoneStatus(t, url, "4"); z.State != topics.StateOpen || z.EndsAt == nil || time.Until(z.EndsAt.Time) > 5*time.Minute {
		t.Errorf("zone 4 after the run-once: %+v", z)
	}
	if code, _, stderr := ctl(t, url, "close", "all"); code != 0 {
		t.Fatal(stderr)
	}
	do("switch the profile",
		wait(`!!document.querySelector('#profile option[value="spring"]')`), // options are never "visible"
		wait(`(() => { const s = document.querySelector('#profile'); s.value = 'spring'; s.dispatchEvent(new Event('change')); return true; })()`),
		wait(`(() => { const o = document.querySelector('#profile option:checked'); return !!o && o.value === 'spring'; })()`),
	)
	code, stdout, stderr := ctl(t, url, "profile", "--json")
	var prof topics.ScheduleReply
	if err := json.Unmarshal([]byte(stdout), &prof); code != 0 || err != nil || prof.Profile != "spring" {
		t.Fatalf("the active profile after the switch: exit %d, %s %s", code, stdout, stderr)
	}

	do("write a program on the page",
		into(`#programs-section`),
		wait(`!document.querySelector('#program-new').hidden`),
		press(`#program-new`),
		chromedp.WaitVisible(chromedp.CSS(`#editor`)),
		chromedp.SendKeys(chromedp.CSS(`#ed-name`), "autumn"),
		wait(`!!document.querySelector('#ed-zones .zone-id option[value="2"]')`),
		set(`#ed-zones .zone-id`, "2"),
		set(`#ed-zones .days-kind`, "odd"),
		set(`#ed-zones .run-row .at`, "08:00"),
		set(`#ed-zones .run-row .for`, "0"),
		wait(`document.querySelector('#ed-zones .err').textContent.includes('minutes: "0 min" is not a duration')`),
	)
	do("fix it",
		set(`#ed-zones .run-row .for`, "3"),
		wait(`document.querySelector('#ed-zones .err').textContent === '' && document.querySelector('#ed-preview').textContent.includes('2. Zone 2 · 3 min')`),
		wait(`document.querySelector('#ed-zones .words').textContent === 'odd days'`),
		shot("web-program.png"),
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		shot("web-program-phone.png"),
		chromedp.EmulateViewport(1280, 900),
	)
	in.check("editor", `#editor`)
	do("save it",
		press(`#ed-save`),
		wait(`document.querySelector('#editor').hidden && document.querySelector('#programs').textContent.includes('autumn')`),
	)
	if code, shown, stderr := ctl(t, url, "program", "show", "autumn"); code != 0 || !strings.Contains(shown, "- zone: 2") ||
		!strings.Contains(shown, "days: [odd]") || !strings.Contains(shown, `runs: [{at: "08:00", for: 3m}]`) {
		t.Fatalf("the program saved on the page: exit %d\n%s%s", code, shown, stderr)
	}
	do("open autumn to edit it",
		press(`#programs li:last-child button.edit`),
		chromedp.WaitVisible(chromedp.CSS(`#editor`)),
		wait(`document.querySelector('#ed-name').value === 'autumn'`),
	)
	_, autumn, _ := ctl(t, url, "program", "show", "autumn")
	changed := filepath.Join(t.TempDir(), "autumn.yaml")
	if err := os.WriteFile(changed, []byte(strings.Replace(autumn, "08:00", "08:30", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, stderr := ctl(t, url, "program", "apply", "-f", changed); code != 0 {
		t.Fatalf("autumn changed from sprinklerctl: %s%s", out, stderr)
	}
	do("save it over sprinklerctl's change: refused, and told until dismissed",
		set(`#ed-zones .run-row .for`, "4"),
		press(`#ed-save`),
		wait(`!document.querySelector('#ed-refusal').hidden && document.querySelector('#ed-refusal').textContent.includes('someone else saved this program')`),
		set(`#ed-about`, "autumn, after the change"),
		wait(`document.querySelector('#ed-preview').textContent.includes('2. Zone 2')`),
		wait(`!document.querySelector('#ed-refusal').hidden && document.querySelector('#ed-zones .run-row .for').value === '4'`),
		press(`#ed-theirs`),
		wait(`document.querySelector('#ed-refusal').hidden && document.querySelector('#ed-zones .run-row .at').value === '08:30'`),
		press(`#ed-cancel`),
	)
	do("change summer on the page: its zones' notes, which the editor does not show, stay",
		press(`#programs li:first-child button.edit`),
		chromedp.WaitVisible(chromedp.CSS(`#editor`)),
		wait(`document.querySelector('#ed-name').value === 'summer'`),
		set(`#ed-zones .run-row .for`, "11"),
		press(`#ed-save`),
		wait(`document.querySelector('#editor').hidden`),
	)
	if code, shown, stderr := ctl(t, url, "program", "show", "summer"); code != 0 || !strings.Contains(shown, "about: Back yard, master bed side") ||
		!strings.Contains(shown, "for: 11m") {
		t.Errorf("summer saved on the page lost its zone's note: exit %d\n%s%s", code, shown, stderr)
	}
	if code, _, stderr := ctl(t, url, "activate", "autumn"); code != 0 {
		t.Fatal(stderr)
	}
	if _, next, _ := ctl(t, url, "next", "--hours", "48"); !regexp.MustCompile(`(?m)^2 +\S+ \S+ 08:30:00 +08:33:00 +autumn`).MatchString(next) {
		t.Errorf("ctl next does not show the program:\n%s", next)
	}

	asked := answerDialogs(ctx)
	before := asked.answer(false)
	do("delete spring, and think again",
		into(`#programs-section`),
		press(`#programs li:nth-child(2) button.edit`),
		wait(`!document.querySelector('#editor').hidden && document.querySelector('#ed-name').value === 'spring'`),
		press(`#ed-delete`),
	)
	if q := asked.since(before); len(q) != 1 || !strings.Contains(q[0], "Delete the program spring?") {
		t.Errorf("delete asked %q", q)
	}
	if code, _, stderr := ctl(t, url, "program", "show", "spring"); code != 0 {
		t.Fatalf("spring deleted though the question was cancelled: %s", stderr)
	}
	asked.answer(true)
	do("delete spring, then restore it from the page",
		press(`#ed-delete`),
		wait(`document.querySelector('#editor').hidden && !document.querySelector('#program-deleted').hidden && ![...document.querySelectorAll('#programs strong')].some((e) => e.textContent === 'spring')`),
	)
	if code, _, _ := ctl(t, url, "program", "show", "spring"); code == 0 {
		t.Fatal("spring is still there after the delete")
	}
	do("restore spring",
		press(`#program-deleted button`),
		wait(`document.querySelector('#program-deleted').hidden && [...document.querySelectorAll('#programs strong')].some((e) => e.textContent === 'spring')`),
	)
	if code, shown, stderr := ctl(t, url, "program", "show", "spring"); code != 0 || !strings.Contains(shown, "Twice a week") {
		t.Errorf("spring restored from the page: exit %d\n%s%s", code, shown, stderr)
	}

	do("rename zone 3 from its card",
		press(`.zone[data-zone="3"] button.settings`),
		chromedp.WaitVisible(chromedp.CSS(`.zone[data-zone="3"] .zone-settings`)),
		set(`.zone[data-zone="3"] .set-name`, "Lawn"),
		set(`.zone[data-zone="3"] .set-max`, "40"),
		press(`.zone[data-zone="3"] .set-save`),
		wait(`document.querySelector('.zone[data-zone="3"] h3').textContent.startsWith('3. Lawn')`),
	)
	ha := brokertest.Connect(t, url)
	ha.Subscribe("homeassistant/device/garden/config")
	ha.AwaitMsg("homeassistant/device/garden/config", `"Lawn"`)
	if file, _ := os.ReadFile(config); !strings.Contains(string(file), "{id: 3, name: Lawn, line: 13, default_duration: 10m, max_duration: 40m}") {
		t.Errorf("the configuration file does not hold the page's change:\n%s", file)
	}

	do("the history: the chart of four weeks, the runs, and today's after a reload",
		into(`#history-section`),
		wait(`!!document.querySelector('#usage svg') && /2\. Zone 2 · .* · by admin on the page · closed/.test(document.querySelector('#runs').textContent)`),
		set(`#history-zone`, "2"),
		wait(`document.querySelector('#usage svg').getAttribute('aria-label').endsWith('zone 2')`),
		shot("web-history.png"),
	)
	in.check("history", `#history-section`)
	do("today's runs after a reload",
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(`.zone[data-zone="8"]`)),
		into(`#events-section`),
		wait(`/run finished · 2\. Zone 2 · by admin on the page · closed/.test(document.querySelector('#events').textContent)`),
	)
	do("the water level",
		wait(`!document.querySelector('#level').closest('label').hidden`),
		set(`#level`, "80"),
		wait(`document.querySelector('#level-value').textContent === '80 %'`),
	)
	if code, stdout, _ := ctl(t, url, "profile", "--json"); code != 0 || !strings.Contains(stdout, `"water_level": 80`) {
		t.Errorf("the water level set on the page:\n%s", stdout)
	}

	do("a wrong password is told, and the field emptied",
		chromedp.Click(chromedp.CSS(`#relogin`)),
		chromedp.WaitVisible(chromedp.CSS(`#login`)),
		chromedp.SendKeys(chromedp.CSS(`#user`), "neighbour"),
		chromedp.SendKeys(chromedp.CSS(`#pass`), "guess"),
		chromedp.Click(chromedp.CSS(`#login button`)),
		wait(`document.querySelector('#login-why').textContent.includes('Not signed in') && document.querySelector('#login-why').textContent.includes('wrong username or password') && document.querySelector('#pass').value === ''`),
	)
	do("sign in as a viewer, and stay signed in across a reload",
		chromedp.SendKeys(chromedp.CSS(`#pass`), "viewer-pw"),
		chromedp.Click(chromedp.CSS(`#login button`)),
		wait(`document.querySelector('#who').textContent === 'neighbour (viewer)' && !document.querySelector('#signout').hidden`),
		wait(`!localStorage.getItem('sprinkler-signin').includes('viewer-pw')`),
		chromedp.Reload(),
		wait(`document.querySelector('#who').textContent === 'neighbour (viewer)' && document.querySelector('#login').hidden`),
		chromedp.WaitVisible(chromedp.CSS(`.zone[data-zone="8"]`)),
		shot("web-viewer.png"),
	)
	in.check("viewer", `header`)
	if n, buttons := count(".zone"), count("button.open, button.close, #stop-all:not([hidden]), #pause:not([hidden]), #resume:not([hidden])"); buttons != 0 || n != 8 {
		t.Errorf("the viewer sees %d zones and %d buttons that would be refused", n, buttons)
	}
	do("a viewer is told why nothing can be changed",
		wait(`document.querySelector('#role-why').textContent.startsWith('You are viewer: you see everything and change nothing')`),
	)
	do("a viewer reads a program and may change nothing",
		into(`#programs-section`),
		wait(`document.querySelector('#programs').textContent.includes('autumn')`),
		wait(`document.querySelector('#program-new').hidden && !document.querySelector('#programs-why').hidden`),
		press(`#programs li button.edit`),
		chromedp.WaitVisible(chromedp.CSS(`#editor`)),
		wait(`document.querySelector('#ed-why').textContent.includes('Only an admin changes programs; you are viewer')`),
	)
	if enabled := count(`#editor input:not([disabled]), #editor select:not([disabled]), #editor button.remove:not([disabled]), #ed-add-zone:not([disabled]), #ed-save:not([hidden]), #ed-delete:not([hidden])`); enabled != 0 {
		t.Errorf("the viewer has %d program controls that would be refused", enabled)
	}
	in.check("viewer-editor", `#editor`)
	do("sign out: the sign-in ends here and at the agent",
		press(`#signout`),
		wait(`!document.querySelector('#login').hidden && document.querySelector('#login-why').textContent.startsWith('Signed out') && localStorage.getItem('sprinkler-signin') === null`),
	)
	in.check("signed-out", `header`)
	do("reload after signing out",
		chromedp.Reload(),
		wait(`document.querySelector('#who').textContent === 'admin without signing in'`),
	)
	do("sign in again for the last views",
		press(`#relogin`),
		chromedp.SendKeys(chromedp.CSS(`#user`), "neighbour"),
		chromedp.SendKeys(chromedp.CSS(`#pass`), "viewer-pw"),
		press(`#login button`),
		wait(`document.querySelector('#who').textContent === 'neighbour (viewer)'`),
		chromedp.WaitVisible(chromedp.CSS(`.zone[data-zone="8"]`)),
	)
	online := len(said())
	agent.stop(t)
	do("the controller gone: the page still opens, with its last known state and why nothing answers",
		chromedp.Reload(),
		wait(`!document.querySelector('#offline').hidden && document.querySelector('#offline').textContent.startsWith('The controller is unreachable since')`),
		wait(`document.querySelector('#offline').textContent.includes('Showing its last known state') && document.querySelectorAll('.zone').length === 8`),
		wait(`document.querySelectorAll('button.open, #stop-all:not([hidden])').length === 0`),
	)
	in.check("offline", `header`)
	// The README shows the desktop and phone screenshots from docs/images; this test renews
	// them there with SPRINKLER_SCREENSHOTS=$PWD/docs/images (or keeps them anywhere else).
	for name, width := range map[string]int{"web-desktop.png": 1280, "web-phone.png": 390 * 2, "web-viewer.png": 1280, "web-program.png": 1280, "web-program-phone.png": 390 * 2, "web-history.png": 1280} {
		b, err := os.ReadFile(filepath.Join(shots, name))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.DecodeConfig(bytes.NewReader(b))
		if err != nil || img.Width != width || img.Height < 400 {
			t.Errorf("%s: %+v %v, want a PNG %d wide", name, img, err, width)
		}
		if dst := os.Getenv("SPRINKLER_SCREENSHOTS"); dst != "" {
			_ = os.MkdirAll(dst, 0o755)
			if err := os.WriteFile(filepath.Join(dst, name), b, 0o644); err != nil {
				t.Error(err)
			}
		}
	}
	t.Logf("screenshots: %s", shots)
	for i, m := range said() {
		if i >= online && strings.HasPrefix(m.Text, "WebSocket connection to 'ws://"+webAddr+"/mqtt' failed") {
			continue // the browser's own word for the controller gone, which the page cannot silence
		}
		t.Errorf("the console: %s %s (%s:%d)", m.Type, m.Text, m.URL, m.Line)
	}
}

// console gathers what the page writes to the console above info: warnings, errors and
// exceptions that nothing caught; the returned function lists them so far.
func console(ctx context.Context) func() []chromedp.ConsoleMessage {
	var mu sync.Mutex
	var got []chromedp.ConsoleMessage
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleWarning || m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleException {
				mu.Lock()
				got = append(got, m)
				mu.Unlock()
			}
		}
	}()
	return func() []chromedp.ConsoleMessage {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(got)
	}
}
