package systemtest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// pageTools is the folder of the page checks' npm packages (axe-core, Lighthouse), installed
// by `npm ci --prefix test/page` as CI does; SPRINKLER_REQUIRE_PAGE_CHECKS makes their absence
// a failure.
const pageTools = "../test/page/node_modules"

// pageTool returns the path of a file of the page checks' packages, or skips (fails in CI).
func pageTool(t *testing.T, rel string) string {
	t.Helper()
	p := filepath.Join(pageTools, rel)
	if _, err := os.Stat(p); err == nil {
		abs, _ := filepath.Abs(p)
		return abs
	}
	if os.Getenv("SPRINKLER_REQUIRE_PAGE_CHECKS") != "" {
		t.Fatalf("%s is missing: npm ci --prefix test/page", p)
	}
	return ""
}

// view is a screen the page is checked on.
type view struct {
	name          string
	width, height int64
	phone         bool
}

var views = []view{{"phone", 390, 844, true}, {"small-phone", 320, 640, true}, {"desktop", 1280, 800, false}}

// inspector checks the page as it is now on two phones and a desktop: nothing scrolls sideways,
// every touch target on the phone is at least 44 px high, axe-core finds no violation; and it
// keeps a screenshot of each (copied to SPRINKLER_PAGE_VIEWS when set).
type inspector struct {
	t     *testing.T
	ctx   context.Context
	axe   string // axe.min.js's source, "" without it
	shots string
	taken []string
}

func newInspector(t *testing.T, ctx context.Context, shots string) *inspector {
	in := &inspector{t: t, ctx: ctx, shots: shots}
	if p := pageTool(t, "axe-core/axe.min.js"); p != "" {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		in.axe = string(b)
	} else {
		t.Log("axe-core is not installed (npm ci --prefix test/page): the page's accessibility is not checked")
	}
	return in
}

// targetsBelow44 lists the visible controls a finger cannot hit: less than 44 px high or wide
// (a checkbox counts by the label it sits in).
const targetsBelow44 = `(() => {
  const out = [];
  for (const e of document.querySelectorAll('button, select, input, a[href], textarea')) {
    const r = e.getBoundingClientRect();
    if (!r.width || !r.height || getComputedStyle(e).visibility === 'hidden') continue;
    const box = (e.type === 'checkbox' || e.type === 'radio') && e.closest('label') ? e.closest('label').getBoundingClientRect() : r;
    if (box.height < 44 || box.width < 44) out.push((e.id ? '#' + e.id : e.tagName.toLowerCase() + '.' + e.className) + ' ' + Math.round(box.width) + 'x' + Math.round(box.height) + ' "' + (e.textContent || e.value || e.getAttribute('aria-label') || '').trim().slice(0, 20) + '"');
  }
  return out;
})()`

// check looks at the page on each screen, scrolled to show the element top selects, then
// leaves it on the desktop.
func (in *inspector) check(name, top string) {
	in.t.Helper()
	for _, v := range views {
		opts := []chromedp.EmulateViewportOption{}
		if v.phone {
			opts = append(opts, chromedp.EmulateScale(2), chromedp.EmulateMobile)
		}
		var overflow []string
		var small []string
		var violations []axeViolation
		steps := []chromedp.Action[chromedp.Void]{
			chromedp.EmulateViewport(v.width, v.height, opts...),
			chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				_, err := chromedp.Evaluate[bool](fmt.Sprintf(`(document.querySelector(%q).scrollIntoView(), new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(() => ok(true)))))`, top), chromedp.EvalAwaitPromise)(ctx, tg)
				return err
			}),
			chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				var err error
				// A phone lays out a page wider than itself and zooms out: then innerWidth exceeds
				// the screen's width, as scrollWidth does on a desktop.
				overflow, err = chromedp.Evaluate[[]string](fmt.Sprintf(`(() => {
  const w = %d;
  if (document.documentElement.scrollWidth <= w && innerWidth <= w) return [];
  return ['innerWidth ' + innerWidth + ', scrollWidth ' + document.documentElement.scrollWidth].concat(
    [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > w + 1)
    .map((e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + '.' + e.className + ' right=' + Math.round(e.getBoundingClientRect().right)).slice(0, 8));
})()`, v.width))(ctx, tg)
				return err
			}),
		}
		if v.phone {
			steps = append(steps, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				var err error
				small, err = chromedp.Evaluate[[]string](targetsBelow44)(ctx, tg)
				return err
			}))
		}
		if in.axe != "" {
			steps = append(steps, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				if _, err := chromedp.Evaluate[bool](`window.axe ? true : (() => { `+in.axe+`; return true; })()`)(ctx, tg); err != nil {
					return fmt.Errorf("axe-core: %w", err)
				}
				s, err := chromedp.Evaluate[string](`axe.run(document, { resultTypes: ['violations'] }).then((r) => JSON.stringify(r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }))))`, chromedp.EvalAwaitPromise)(ctx, tg)
				if err != nil {
					return fmt.Errorf("axe-core: %w", err)
				}
				return json.Unmarshal([]byte(s), &violations)
			}))
		}
		file := name + "-" + v.name + ".png"
		steps = append(steps, in.keep(file, chromedp.FullScreenshot(100)))
		if v.phone {
			steps = append(steps, in.keep(name+"-"+v.name+"-screen.png", chromedp.CaptureScreenshot())) // what the phone shows
		}
		if err := chromedp.Do(in.ctx, steps...); err != nil {
			in.t.Fatalf("%s on the %s: %v", name, v.name, err)
		}
		in.taken = append(in.taken, file)
		if len(overflow) > 0 {
			in.t.Errorf("%s on the %s (%d px) scrolls sideways: %s", name, v.name, v.width, strings.Join(overflow, "; "))
		}
		if len(small) > 0 {
			in.t.Errorf("%s on the %s: touch targets under 44 px: %s", name, v.name, strings.Join(small, "; "))
		}
		for _, x := range violations {
			in.t.Errorf("%s on the %s: axe-core: %s (%s): %s at %s", name, v.name, x.ID, x.Impact, x.Help, strings.Join(x.Nodes, ", "))
		}
	}
	if err := chromedp.Do(in.ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		in.t.Fatal(err)
	}
}

// keep writes a screenshot to the test's folder, and to SPRINKLER_PAGE_VIEWS when set (for a
// closing note or a review).
func (in *inspector) keep(file string, shot chromedp.Action[[]byte]) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		png, err := shot(ctx, tg)
		if err != nil {
			return err
		}
		if dst := os.Getenv("SPRINKLER_PAGE_VIEWS"); dst != "" {
			_ = os.MkdirAll(dst, 0o755)
			if err := os.WriteFile(filepath.Join(dst, file), png, 0o644); err != nil {
				return err
			}
		}
		return os.WriteFile(filepath.Join(in.shots, file), png, 0o644)
	})
}

type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// dialogs answers the page's confirmations as a person would: each question is kept, and
// answered OK or Cancel as set.
type dialogs struct {
	mu     sync.Mutex
	asked  []string
	accept bool
}

func answerDialogs(ctx context.Context) *dialogs {
	d := &dialogs{}
	opening := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for e, err := range opening {
			if err != nil {
				return
			}
			d.mu.Lock()
			d.asked = append(d.asked, e.Message)
			accept := d.accept
			d.mu.Unlock()
			_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: accept})
		}
	}()
	return d
}

// answer sets the answer to the next questions and returns how many were asked so far.
func (d *dialogs) answer(accept bool) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.accept = accept
	return len(d.asked)
}

// since returns the questions asked after the first n.
func (d *dialogs) since(n int) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.asked[n:]...)
}
