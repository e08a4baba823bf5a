// axe-core (WCAG 2.1 A/AA) in several states, reflow at 320 px and 200 % zoom, screenshots.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { startHarness, openPage, searchFor, ARTIFACTS } from './harness.mjs';

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
let h;
before(async () => { h = await startHarness(); });
after(async () => { await h?.close(); });

async function axe(page, label) {
  await page.addScriptTag({ path: axePath });
  const r = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    resultTypes: ['violations'],
  }));
  const msg = r.violations.map((v) => `${v.id} (${v.impact}): ${v.help}\n  ` + v.nodes.map((n) => JSON.stringify(n.target) + ' ' + n.failureSummary).join('\n  ')).join('\n');
  assert.equal(r.violations.length, 0, `${label}:\n${msg}`);
}

const noHorizontalScroll = (page) => page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth);

for (const [lang, q] of [['fi', 'kuoro'], ['sv', 'kör'], ['en', 'choir']]) {
  test(`axe: no WCAG 2.1 A/AA violations (${lang}: initial, results, suggestions, zero results)`, async () => {
    const { page, context } = await openPage(h, `/page/basic?lang=${lang}`);
    await page.locator('tarjotin-search select[name=theme] option').nth(2).waitFor({ state: 'attached' });
    await axe(page, 'initial');
    await page.locator('tarjotin-search input[type=search]').fill(q);
    await page.locator('tarjotin-search input[type=search]').press('Enter');
    await page.locator('tarjotin-search [role=status]').filter({ hasText: /\d/ }).waitFor();
    await axe(page, 'results');
    await page.locator('tarjotin-search input[type=search]').fill('mie');
    await page.locator('tarjotin-search input[type=search]').press('ArrowLeft');
    await page.waitForTimeout(700);
    await axe(page, 'suggestions');
    await page.locator('tarjotin-search input[type=search]').fill('zzzzqqqq');
    await page.locator('tarjotin-search input[type=search]').press('Enter');
    await page.locator('tarjotin-search input[name=online]').check();
    await page.locator('tarjotin-search .empty button').first().waitFor();
    await axe(page, 'zero results');
    await context.close();
  });
}

test('axe on the two-widget page and after an error', async () => {
  const { page, context } = await openPage(h, '/page/two');
  await page.locator('#hki li.hit').first().waitFor();
  await axe(page, 'two widgets');
  await page.route('**/v1/search?**', (r) => r.fulfill({ status: 503, body: '{}', headers: { 'access-control-allow-origin': '*' } }));
  await searchFor(page, 'x', '#turku').catch(() => {});
  await page.locator('#turku .error button').waitFor();
  await axe(page, 'error');
  await context.close();
});

for (const width of [320, 1280]) {
  test(`layout at ${width} px: no horizontal scrolling; screenshot`, async () => {
    const { page, context } = await openPage(h, '/page/basic?limit=4', { viewport: { width, height: 900 } });
    const w = await searchFor(page, 'kuoro');
    await w.locator('li.hit').first().waitFor();
    assert.ok(await noHorizontalScroll(page), `no horizontal scroll at ${width}px`);
    await page.screenshot({ path: `${ARTIFACTS}widget-${width}.png`, fullPage: true });
    await w.locator('input[type=search]').fill('mie');
    await w.locator('[role=listbox]').waitFor({ state: 'visible' });
    await page.screenshot({ path: `${ARTIFACTS}suggest-${width}.png` });
    await axe(page, `${width}px`);
    await context.close();
  });
}

test('200 % zoom (1280 px at device scale 2 = 640 CSS px) reflows without loss', async () => {
  const { page, context } = await openPage(h, '/page/basic?limit=4&lang=sv', { viewport: { width: 640, height: 450 }, contextOptions: { deviceScaleFactor: 2 } });
  const w = await searchFor(page, 'kör');
  await w.locator('li.hit').first().waitFor();
  assert.ok(await noHorizontalScroll(page));
  for (const el of await w.locator('button, select, input, a').all()) {
    const b = await el.boundingBox();
    if (b) assert.ok(b.x >= 0 && b.x + b.width <= 640 + 1, 'control inside the viewport');
  }
  await page.screenshot({ path: `${ARTIFACTS}zoom200-sv.png`, fullPage: true });
  await context.close();
});
