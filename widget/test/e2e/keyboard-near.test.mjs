// Keyboard-only use and "near me" with a mocked position and with a refusal.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, openPage } from './harness.mjs';

let h;
before(async () => { h = await startHarness(); });
after(async () => { await h?.close(); });

/** Tag, name and outline of the element focused inside the widget's shadow root. */
const focused = (page, sel = 'tarjotin-search') => page.evaluate((sel) => {
  const a = document.querySelector(sel).shadowRoot.activeElement;
  if (!a) return null;
  const cs = getComputedStyle(a);
  return { tag: a.tagName, name: a.getAttribute('name'), type: a.getAttribute('type'), text: a.textContent, outline: cs.outlineStyle + ' ' + cs.outlineWidth };
}, sel);

test('everything works with the keyboard alone, with visible focus', async () => {
  const { page, context } = await openPage(h, '/page/basic?limit=2');
  await page.keyboard.press('Tab');
  let f = await focused(page);
  assert.equal(f.type, 'search');
  assert.notEqual(f.outline.split(' ')[0], 'none', 'visible focus on the search box');
  await page.keyboard.type('kuor', { delay: 40 });
  await page.locator('tarjotin-search [role=listbox]').waitFor({ state: 'visible' });
  await page.keyboard.press('Escape');
  await page.keyboard.type('o');
  await page.keyboard.press('Enter');
  await page.locator('tarjotin-search li.hit').first().waitFor();
  const order = [];
  for (let i = 0; i < 12; i++) {
    await page.keyboard.press('Tab');
    f = await focused(page);
    if (!f) break;
    assert.notEqual(f.outline.split(' ')[0], 'none', `visible focus on ${f.tag} ${f.name ?? f.text}`);
    order.push(f.name ?? f.text);
  }
  for (const n of ['municipality', 'theme', 'target_group', 'language', 'free', 'accessible', 'online', 'Lähelläni', 'Kopioi linkki hakuun', 'Tulosta lista']) {
    assert.ok(order.includes(n), `${n} reachable by Tab: ${order.join(', ')}`);
  }
  // Back to the checkbox "free" and toggle it with Space.
  await page.locator('tarjotin-search input[name=free]').focus();
  await page.keyboard.press('Space');
  assert.equal(await page.locator('tarjotin-search input[name=free]').isChecked(), true);
  await page.waitForFunction(() => new URL(location.href).searchParams.get('tarjotin')?.includes('free=1'));
  // Select a theme with arrow keys.
  await page.locator('tarjotin-search select[name=theme]').focus();
  await page.keyboard.press('ArrowDown');
  await page.waitForFunction(() => new URL(location.href).searchParams.get('tarjotin')?.includes('theme='));
  // Unset both again by keyboard, then page with "show more" via Enter.
  await page.keyboard.press('ArrowUp');
  await page.locator('tarjotin-search input[name=free]').focus();
  await page.keyboard.press('Space');
  await page.waitForFunction(() => !new URL(location.href).searchParams.get('tarjotin')?.includes('free'));
  const more = page.locator('tarjotin-search .more');
  await more.waitFor({ state: 'visible' });
  await more.focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('tarjotin-search').shadowRoot.activeElement?.tagName === 'H3');
  f = await focused(page);
  assert.notEqual(f.outline.split(' ')[0], 'none');
  await context.close();
});

test('keyboard: choose a suggestion with arrows and Enter', async () => {
  const { page, context } = await openPage(h, '/page/basic');
  await page.keyboard.press('Tab');
  await page.keyboard.type('mielen', { delay: 40 });
  await page.locator('tarjotin-search [role=listbox]').waitFor({ state: 'visible' });
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowUp');
  const active = await page.locator('tarjotin-search input[type=search]').getAttribute('aria-activedescendant');
  assert.equal(await page.locator(`tarjotin-search [role=option][aria-selected=true]`).getAttribute('id'), active);
  await page.keyboard.press('Enter');
  await page.locator('tarjotin-search li.hit').first().waitFor();
  assert.equal((await focused(page)).type, 'search', 'focus stays in the search box');
  await context.close();
});

test('near me: asks only after the click, sends a rounded point, shows distances', async () => {
  const { page, context, log } = await openPage(h, null, {
    contextOptions: { geolocation: { latitude: 60.1698557, longitude: 24.9383791 }, permissions: ['geolocation'] },
  });
  await page.addInitScript(() => {
    window.__geoCalls = 0;
    const g = navigator.geolocation.getCurrentPosition.bind(navigator.geolocation);
    navigator.geolocation.getCurrentPosition = (...a) => { window.__geoCalls++; return g(...a); };
  });
  await page.goto(h.hostUrl + '/page/basic');
  await page.waitForTimeout(300);
  assert.equal(await page.evaluate(() => window.__geoCalls), 0, 'no location request before the click');
  const btn = page.locator('tarjotin-search').getByRole('button', { name: 'Lähelläni' });
  assert.equal(await btn.getAttribute('aria-pressed'), 'false');
  await btn.click();
  await page.locator('tarjotin-search li.hit').first().waitFor();
  assert.equal(await page.evaluate(() => window.__geoCalls), 1);
  const req = log.requests.find((u) => u.includes('/v1/search') && u.includes('near='));
  const p = new URL(req).searchParams;
  assert.equal(p.get('near'), '60.170,24.938');
  assert.equal(p.get('sort'), 'distance');
  assert.ok(!log.requests.some((u) => u.includes('60.1698') || u.includes('24.9383')), 'precise point never sent');
  assert.equal(await btn.getAttribute('aria-pressed'), 'true');
  const dist = await page.locator('tarjotin-search li.hit dd').allTextContents();
  assert.ok(dist.some((d) => /^\d+(,\d)?\u00a0km/.test(d)), 'distance in Finnish number format: ' + dist.join(' | '));
  assert.ok(!new URL(page.url()).search.includes('60.1'), 'location not written to the page URL');
  await btn.click();
  await page.waitForFunction(() => document.querySelector('tarjotin-search').shadowRoot.querySelector('[aria-pressed]').getAttribute('aria-pressed') === 'false');
  assert.equal(await page.evaluate(() => window.__geoCalls), 1, 'a second click turns "near me" off');
  await context.close();
});

test('near me refused: a clear message and focus moves to the municipality chooser', async () => {
  const { page, context } = await openPage(h, '/page/basic', { contextOptions: { permissions: [] } });
  await page.locator('tarjotin-search').getByRole('button', { name: 'Lähelläni' }).click();
  await page.locator('tarjotin-search .error').getByText('Sijaintia ei saatu. Valitse kunta luettelosta.').waitFor();
  await page.waitForFunction(() => document.querySelector('tarjotin-search').shadowRoot.activeElement?.getAttribute('name') === 'municipality');
  await page.keyboard.press('ArrowDown');
  await page.locator('tarjotin-search li.hit, tarjotin-search .empty p').first().waitFor();
  await context.close();
});
