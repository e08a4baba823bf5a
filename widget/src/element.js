// The <tarjotin-search> custom element: rendering only. Data goes into the DOM solely through
// createElement/textContent/setAttribute; never innerHTML, never inline handlers or styles.
import { createClient, latestOnly, debounce } from './client.js';
import {
  emptyState, presetState, searchParams, isEmpty, paramName, readUrlState, writeUrlState,
  activeFilters, loosen, applySuggestion, nearPoint, formatDistance, formatDate, splitList, locale,
} from './state.js';
import { strings, uiLang, SERVICE_LANGS } from './i18n.js';
import { safeHttpUrl, telHref, mailtoHref } from './urls.js';
import { CSS } from './styles.js';

let sheet = null;
let uid = 0;

/** Builds an element. `text` sets textContent; other props become attributes. */
function h(tag, props, ...kids) {
  const el = document.createElement(tag);
  if (props) {
    for (const [k, v] of Object.entries(props)) {
      if (v == null || v === false) continue;
      if (k === 'text') el.textContent = String(v);
      else if (/^on|^style$|^srcdoc$/i.test(k)) throw new Error('refused attribute ' + k);
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  for (const c of kids.flat()) if (c != null && c !== false) el.append(c); // strings become text nodes
  return el;
}

function adopt(root) {
  if ('adoptedStyleSheets' in root && typeof CSSStyleSheet === 'function' && 'replaceSync' in CSSStyleSheet.prototype) {
    if (!sheet) {
      sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
    }
    root.adoptedStyleSheets = [sheet];
  } else {
    root.append(h('style', { text: CSS })); // older browsers; needs style-src permitting it
  }
}

/** Text with `lang` when it differs from the widget's language. */
const langSpan = (tag, text, lang, ui, props = {}) =>
  h(tag, { ...props, lang: lang && lang !== ui ? lang : null }, text);

export class TarjotinSearch extends HTMLElement {
  static get observedAttributes() {
    return ['api', 'lang', 'municipality', 'county', 'theme', 'target-group', 'kind', 'limit', 'near-me', 'placeholder'];
  }

  constructor() {
    super();
    this._shadow = this.attachShadow({ mode: 'open' });
    adopt(this._shadow);
    this._id = 't' + ++uid;
  }

  connectedCallback() {
    this._setup();
  }

  disconnectedCallback() {
    this._teardown();
  }

  attributeChangedCallback() {
    if (this._ready) this._setup();
  }

  _teardown() {
    this._ready = false;
    this._searchJob?.cancel();
    this._suggestJob?.cancel();
    this._suggestLater?.cancel();
    this._metaCtrl?.abort();
    clearTimeout(this._loadingTimer);
  }

  _setup() {
    this._teardown();
    const lang = (this._lang = uiLang(this.getAttribute('lang') || this.parentElement?.closest('[lang]')?.getAttribute('lang')?.slice(0, 2)));
    const t = (this._t = strings(lang));
    const lim = parseInt(this.getAttribute('limit') ?? '', 10);
    this._limit = lim >= 1 && lim <= 50 ? lim : 10;
    this._param = paramName(this.id);
    this._presets = presetState({
      municipality: this.getAttribute('municipality'), county: this.getAttribute('county'),
      theme: this.getAttribute('theme'), 'target-group': this.getAttribute('target-group'),
      kind: this.getAttribute('kind'),
    });
    let restored = null;
    try {
      restored = readUrlState(location.href, this._param);
    } catch {
      /* no usable location */
    }
    this._state = restored || this._presets;
    this._hits = [];
    this._total = 0;
    this._labels = { municipality: new Map(), theme: new Map(), target_group: new Map(), kind: new Map(), language: new Map() };
    try {
      const dn = new Intl.DisplayNames([locale(lang)], { type: 'language' });
      for (const c of SERVICE_LANGS) this._labels.language.set(c, dn.of(c) || c);
    } catch {
      for (const c of SERVICE_LANGS) this._labels.language.set(c, c);
    }
    try {
      this._client = createClient(this.getAttribute('api') || '');
    } catch {
      this._client = null;
    }
    this._searchJob = latestOnly();
    this._suggestJob = latestOnly();
    this._suggestLater = debounce((q) => this._suggest(q), 250);
    this._options = [];
    this._active = -1;
    this._render();
    this._ready = true;
    if (!this._client) {
      this._error.textContent = t.error;
      return;
    }
    this._loadMeta();
    if (!isEmpty(this._state)) this._search({ initial: true });
  }

  // ---- static structure -------------------------------------------------------------------

  _render() {
    const t = this._t;
    const id = (s) => this._id + '-' + s;
    this._input = h('input', {
      id: id('q'), type: 'search', name: 'q', role: 'combobox', 'aria-autocomplete': 'list',
      'aria-expanded': 'false', 'aria-controls': id('lb'), autocomplete: 'off', spellcheck: 'false',
      maxlength: 200, enterkeyhint: 'search', part: 'input',
      placeholder: this.getAttribute('placeholder') ?? t.placeholder,
    });
    this._input.value = this._state.q;
    this._listbox = h('ul', { id: id('lb'), role: 'listbox', 'aria-label': t.suggestions, hidden: true, part: 'listbox' });
    const select = (key, all) => {
      const s = h('select', { id: id(key), name: key, part: 'select' });
      s.append(h('option', { value: '' }, all));
      return s;
    };
    this._selects = {
      municipality: select('municipality', t.allMunicipalities),
      theme: select('theme', t.allThemes),
      target_group: select('target_group', t.allTargetGroups),
      language: select('language', t.allLanguages),
    };
    const field = (key) => h('div', { class: 'field' }, h('label', { for: id(key) }, t[key]), this._selects[key]);
    this._checks = {};
    const check = (key) => {
      this._checks[key] = h('input', { type: 'checkbox', id: id(key), name: key, part: 'checkbox' });
      return h('label', { for: id(key) }, this._checks[key], t[key]);
    };
    this._nearBtn = this.hasAttribute('near-me') ? h('button', { type: 'button', part: 'button near' }, t.near) : null;
    const form = h('form', { role: 'search', 'aria-label': t.form, part: 'form', novalidate: true },
      h('div', { class: 'row' },
        h('div', { class: 'combo' }, h('label', { for: id('q'), part: 'label' }, t.label), this._input, this._listbox),
        h('button', { type: 'submit', class: 'primary', part: 'button submit' }, t.search)),
      h('fieldset', { part: 'filters' }, h('legend', null, t.filters),
        field('municipality'), field('theme'), field('target_group'), field('language'),
        h('div', { class: 'checks' }, check('free'), check('accessible'), check('online'), this._nearBtn)));
    this._form = form;
    this._status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite', part: 'status' });
    this._notice = h('p', { class: 'notice', 'aria-live': 'polite', part: 'notice' });
    this._error = h('div', { class: 'error', 'aria-live': 'polite', part: 'error' });
    this._loading = h('p', { class: 'loading', hidden: true, part: 'loading' }, t.loading);
    this._empty = h('div', { class: 'empty', hidden: true, part: 'empty' });
    this._results = h('ol', { class: 'results', part: 'results', 'aria-label': t.results(0) });
    this._more = h('button', { type: 'button', class: 'more', hidden: true, part: 'button more' }, t.more);
    this._copy = h('button', { type: 'button', part: 'button copy' }, t.copy);
    this._print = h('button', { type: 'button', part: 'button print' }, t.print);
    this._copyBox = h('span', { class: 'copybox' });
    this._tools = h('div', { class: 'tools', hidden: true, part: 'tools' }, this._copy, this._print, this._copyBox);
    const root = h('div', { class: 'root', lang: this._lang, part: 'root' },
      form, this._error, this._notice, this._loading, this._status, this._tools, this._empty, this._results, this._more);
    this._shadow.replaceChildren(root);
    if (this._shadow.adoptedStyleSheets === undefined) adopt(this._shadow);
    this._syncControls();
    this._wire();
  }

  _wire() {
    const input = this._input;
    this._form.addEventListener('submit', (e) => {
      e.preventDefault();
      this._suggestLater.cancel();
      this._suggestJob.cancel();
      this._closeList();
      this._state = { ...this._state, q: input.value };
      this._search();
    });
    input.addEventListener('input', () => {
      this._state = { ...this._state, q: input.value };
      this._suggestLater(input.value);
    });
    input.addEventListener('keydown', (e) => this._onKey(e));
    input.addEventListener('blur', () => this._closeList());
    this._listbox.addEventListener('mousedown', (e) => e.preventDefault()); // keep focus in the input
    this._listbox.addEventListener('click', (e) => {
      const li = e.target.closest('[role=option]');
      if (li) this._choose(Number(li.dataset.i));
    });
    for (const [key, sel] of Object.entries(this._selects)) {
      sel.addEventListener('change', () => {
        this._state = { ...this._state, [key]: splitList(sel.value) };
        this._search();
      });
    }
    for (const [key, box] of Object.entries(this._checks)) {
      box.addEventListener('change', () => {
        this._state = { ...this._state, [key]: box.checked };
        this._search();
      });
    }
    this._nearBtn?.addEventListener('click', () => this._nearMe());
    this._more.addEventListener('click', () => this._search({ append: true }));
    this._copy.addEventListener('click', () => this._copyLink());
    this._print.addEventListener('click', () => window.print());
  }

  /** Puts the state into the controls (after restore, loosening or a suggestion). */
  _syncControls() {
    const s = this._state;
    this._input.value = s.q;
    for (const [key, sel] of Object.entries(this._selects)) {
      const v = s[key].join(' ');
      if (v && ![...sel.options].some((o) => o.value === v)) {
        sel.append(h('option', { value: v }, s[key].map((c) => this._label(key, c)).join(', ')));
      }
      sel.value = v;
    }
    for (const [key, box] of Object.entries(this._checks)) box.checked = !!s[key];
    if (this._nearBtn) this._nearBtn.setAttribute('aria-pressed', s.near ? 'true' : 'false');
  }

  _label(key, code) {
    return this._labels[key]?.get(code) ?? code;
  }

  async _loadMeta() {
    const ctrl = (this._metaCtrl = new AbortController());
    const c = this._client;
    const lang = this._lang;
    const fill = (key, items) => {
      const sel = this._selects[key];
      const cur = this._state[key].join(' ');
      const keep = [...sel.options].filter((o) => o.value && o.value.includes(' '));
      sel.replaceChildren(sel.options[0]);
      for (const o of keep) sel.append(o);
      for (const it of items) {
        this._labels[key].set(it.code, it.label);
        sel.append(h('option', { value: it.code }, it.label));
      }
      for (const o of keep) o.textContent = o.value.split(' ').map((v) => this._label(key, v)).join(', ');
      if (cur && ![...sel.options].some((o) => o.value === cur)) this._syncControls();
      sel.value = cur;
    };
    const langs = SERVICE_LANGS.map((code) => ({ code, label: this._label('language', code) }));
    fill('language', langs);
    const [m, v] = await Promise.allSettled([c.municipalities(lang, ctrl.signal), c.vocabularies(lang, ctrl.signal)]);
    if (ctrl.signal.aborted) return;
    const list = (x, k) => (x && Array.isArray(x[k]) ? x[k].filter((i) => i && typeof i.code === 'string' && typeof (i.label ?? i.name) === 'string') : []);
    if (m.status === 'fulfilled') {
      const ms = list(m.value, 'municipalities').map((i) => ({ code: i.code, label: i.name }));
      ms.sort((a, b) => a.label.localeCompare(b.label, locale(lang)));
      fill('municipality', ms);
    }
    if (v.status === 'fulfilled') {
      fill('theme', list(v.value, 'themes'));
      fill('target_group', list(v.value, 'target_groups'));
      for (const k of list(v.value, 'kinds')) this._labels.kind.set(k.code, k.label);
    }
    if (this._lastEmpty) this._renderEmpty();
  }

  // ---- search ---------------------------------------------------------------------------

  async _search({ append = false, initial = false } = {}) {
    if (!this._client) return;
    const t = this._t;
    const offset = append ? this._hits.length : 0;
    const params = searchParams(this._state, { lang: this._lang, limit: this._limit, offset });
    if (!append && !initial) this._writeUrl(); // presets alone do not touch the host URL
    this._error.replaceChildren();
    clearTimeout(this._loadingTimer);
    this._loadingTimer = setTimeout(() => (this._loading.hidden = false), 200);
    this._results.setAttribute('aria-busy', 'true');
    let r;
    try {
      r = await this._searchJob.run((signal) => this._client.search(params, signal));
    } catch (e) {
      r = { error: e };
    }
    if (r.stale) return;
    clearTimeout(this._loadingTimer);
    this._loading.hidden = true;
    this._results.removeAttribute('aria-busy');
    if (r.error) return this._showError(r.error, append);
    const data = r.value || {};
    const hits = Array.isArray(data.hits) ? data.hits : [];
    const total = Number.isFinite(data.total) ? data.total : hits.length;
    if (!append) {
      this._hits = [];
      this._results.replaceChildren();
    }
    const first = this._hits.length;
    for (const hit of hits) {
      if (!hit || typeof hit !== 'object') continue;
      this._hits.push(hit);
      this._results.append(this._renderHit(hit));
    }
    this._total = total;
    this._more.hidden = this._hits.length >= total || hits.length === 0;
    this._tools.hidden = false;
    // Counting may stop at a bound: then the total is a lower bound.
    const atLeast = data.total_relation === 'gte';
    this._results.setAttribute('aria-label', t.results(total, atLeast));
    const places = (data.understood && Array.isArray(data.understood.places) ? data.understood.places : [])
      .filter((p) => p && typeof p.label === 'string').map((p) => p.label);
    let text = t.results(total, atLeast) + '.';
    if (this._hits.length < total) text += ' ' + t.shown(this._hits.length, total, atLeast);
    if (places.length) text += ' ' + t.placesIn + places.join(', ');
    // Words found nowhere as typed were also matched with a letter or two different.
    const typos = (data.understood && Array.isArray(data.understood.typo_tolerant) ? data.understood.typo_tolerant : [])
      .filter((w) => typeof w === 'string');
    if (typos.length) text += ' ' + t.typoTolerant + typos.join(', ') + '.';
    if (this._state.near) text += ' ' + t.nearActive + '.';
    this._status.textContent = text;
    this._lastEmpty = total === 0 && this._hits.length === 0;
    this._renderEmpty();
    if (append && this._hits.length > first) {
      const h3 = this._results.children[first]?.querySelector('h3');
      h3?.focus();
    }
  }

  _showError(err, append) {
    const t = this._t;
    const msg = err && err.status === 503 ? t.busy : err && err.status === 0 ? t.network
      : err && err.status >= 400 && err.status < 500 ? t.badRequest : t.error;
    const retry = h('button', { type: 'button', part: 'button retry' }, t.retry);
    retry.addEventListener('click', () => this._search({ append }));
    this._error.replaceChildren(h('p', null, msg), retry);
  }

  _renderEmpty() {
    const t = this._t;
    if (!this._lastEmpty) {
      this._empty.hidden = true;
      this._empty.replaceChildren();
      return;
    }
    const filters = activeFilters(this._state);
    const kids = [h('p', null, t.noResults)];
    if (filters.length) {
      kids.push(h('p', null, t.loosenHelp));
      kids.push(h('ul', null, filters.map((f) => {
        const name = f.key === 'near' ? t.near : f.value === true ? t[f.key] : t[f.key] + ': ' + this._label(f.key, f.value);
        const b = h('button', { type: 'button', part: 'button loosen' }, t.remove + name);
        b.addEventListener('click', () => {
          this._state = loosen(this._state, f.key, f.value);
          this._syncControls();
          this._input.focus();
          this._search();
        });
        return h('li', null, b);
      })));
    } else {
      kids.push(h('p', null, t.noFilters));
    }
    this._empty.replaceChildren(...kids);
    this._empty.hidden = false;
  }

  _renderHit(hit) {
    const t = this._t;
    const ui = this._lang;
    const str = (v) => (typeof v === 'string' && v.trim() ? v : null);
    const lab = (v) => (v && typeof v === 'object' ? str(v.label) : null);
    const h3 = h('h3', { tabindex: '-1', part: 'result-name' });
    h3.append(langSpan('span', str(hit.name) ?? '', str(hit.name_lang), ui));
    const kind = lab(hit.kind) ?? (hit.type === 'organisation' ? t.orgType : null);
    const org = hit.organisation && str(hit.organisation.name);
    const meta = [org, kind].filter(Boolean).join(' · ');
    const kids = [h3];
    if (meta) kids.push(h('p', { class: 'meta', part: 'result-meta' }, meta));
    if (Array.isArray(hit.snippet) && hit.snippet.length) {
      const p = langSpan('p', null, str(hit.snippet_lang), ui, { class: 'snippet', part: 'result-snippet' });
      for (const seg of hit.snippet) {
        if (!seg || typeof seg.text !== 'string') continue;
        p.append(seg.hit === true ? h('mark', null, seg.text) : seg.text);
      }
      kids.push(p);
    }
    const dl = h('dl');
    const fact = (label, value) => value && dl.append(h('dt', null, label), h('dd', null, value));
    fact(t.schedule, str(hit.schedule));
    const loc = hit.location && typeof hit.location === 'object' ? hit.location : {};
    const town = [str(loc.postal_code), str(loc.post_office)].filter(Boolean).join(' ');
    const addr = [str(loc.address), town].filter(Boolean).join(', ') || lab(hit.municipality);
    fact(t.address, addr);
    const dist = formatDistance(hit.distance_m, ui);
    if (dist) fact(t.distance, loc.approximate === true ? dist + ' ' + t.approx : dist);
    if (dl.childNodes.length) kids.push(dl);
    const badges = ['free', 'accessible', 'online'].filter((k) => hit[k] === true)
      .map((k) => h('li', { class: 'badge', part: 'badge' }, t[k]));
    if (badges.length) kids.push(h('ul', { class: 'badges', 'aria-label': t.filters }, badges));
    const links = [];
    const web = safeHttpUrl(hit.website);
    if (web) links.push(h('li', null, t.website + ': ', h('a', { href: web, rel: 'noopener noreferrer', target: '_blank', part: 'link' }, new URL(web).host)));
    const tel = telHref(hit.phone);
    if (tel) links.push(h('li', null, t.phone + ': ', h('a', { href: tel, part: 'link' }, hit.phone)));
    const mail = mailtoHref(hit.email);
    if (mail) links.push(h('li', null, t.email + ': ', h('a', { href: mail, part: 'link' }, hit.email.trim())));
    if (links.length) kids.push(h('ul', { class: 'contact' }, links));
    if (hit.stale === true) {
      const d = formatDate(hit.updated_at, ui);
      kids.push(h('p', { class: 'stale', part: 'stale' }, d ? t.stale + d + '.' : t.staleUnknown));
    }
    return h('li', { class: 'hit', part: 'result' }, h('article', null, ...kids));
  }

  // ---- autocomplete (ARIA 1.2 combobox with listbox popup) -----------------------------

  async _suggest(q) {
    if (!this._client || q.trim().length < 2) {
      this._suggestJob.cancel();
      return this._closeList();
    }
    let r;
    try {
      r = await this._suggestJob.run((signal) => this._client.suggest(q.trim(), this._lang, signal));
    } catch {
      return this._closeList();
    }
    if (r.stale || this._shadow.activeElement !== this._input) return;
    const list = r.value && Array.isArray(r.value.suggestions) ? r.value.suggestions : [];
    this._options = list.filter((s) => s && typeof s.text === 'string').slice(0, 10);
    this._active = -1;
    this._listbox.replaceChildren(...this._options.map((s, i) => {
      const kindLabel = { theme: this._t.theme, target_group: this._t.target_group, municipality: this._t.municipality }[s.kind];
      return h('li', { role: 'option', id: this._id + '-o' + i, 'aria-selected': 'false', 'data-i': i, part: 'option' },
        h('span', null, s.text), kindLabel ? h('small', null, kindLabel) : null);
    }));
    if (this._options.length) this._openList();
    else this._closeList();
  }

  _openList() {
    this._listbox.hidden = false;
    this._input.setAttribute('aria-expanded', 'true');
  }

  _closeList() {
    this._listbox.hidden = true;
    this._input.setAttribute('aria-expanded', 'false');
    this._input.removeAttribute('aria-activedescendant');
    this._active = -1;
  }

  _setActive(i) {
    const opts = this._listbox.children;
    this._active = i;
    for (let k = 0; k < opts.length; k++) opts[k].setAttribute('aria-selected', k === i ? 'true' : 'false');
    if (i >= 0 && opts[i]) {
      this._input.setAttribute('aria-activedescendant', opts[i].id);
      opts[i].scrollIntoView?.({ block: 'nearest' });
    } else this._input.removeAttribute('aria-activedescendant');
  }

  _onKey(e) {
    const open = !this._listbox.hidden;
    const n = this._options.length;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      if (!n) return;
      e.preventDefault();
      if (!open) {
        this._openList();
        this._setActive(e.key === 'ArrowDown' ? 0 : n - 1);
      } else {
        const d = e.key === 'ArrowDown' ? 1 : -1;
        this._setActive(this._active < 0 ? (d > 0 ? 0 : n - 1) : (this._active + d + n) % n);
      }
    } else if (e.key === 'Enter' && open && this._active >= 0) {
      e.preventDefault();
      this._choose(this._active);
    } else if (e.key === 'Escape' && open) {
      e.preventDefault();
      e.stopPropagation();
      this._closeList();
    } else if (e.key === 'Tab') {
      this._closeList();
    }
  }

  _choose(i) {
    const s = this._options[i];
    if (!s) return;
    this._suggestLater.cancel();
    this._suggestJob.cancel();
    this._closeList();
    this._state = applySuggestion(this._state, s);
    if (s.kind !== 'organisation' && s.kind !== 'activity') {
      const key = s.kind;
      if (this._labels[key] && !this._labels[key].has(s.value)) this._labels[key].set(s.value, s.text);
    }
    this._syncControls();
    this._input.focus();
    this._search();
  }

  // ---- near me, link, URL state --------------------------------------------------------

  _nearMe() {
    const t = this._t;
    const denied = () => {
      this._notice.textContent = '';
      this._error.replaceChildren(h('p', null, t.geoDenied));
      this._selects.municipality.focus();
    };
    if (this._state.near) { // the button is a toggle (aria-pressed)
      this._state = { ...this._state, near: null };
      this._syncControls();
      return this._search();
    }
    if (!navigator.geolocation) return denied();
    this._notice.textContent = t.locating;
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        const p = nearPoint(pos.coords.latitude, pos.coords.longitude);
        if (!p) return denied();
        this._notice.textContent = '';
        this._state = { ...this._state, near: p };
        this._syncControls();
        this._search();
      },
      denied,
      { enableHighAccuracy: false, timeout: 20000, maximumAge: 300000 },
    );
  }

  _writeUrl() {
    try {
      const next = writeUrlState(location.href, this._param, this._state);
      if (next !== location.href) history.replaceState(history.state, '', next);
    } catch {
      /* sandboxed or opaque origin: sharing is unavailable, searching still works */
    }
  }

  async _copyLink() {
    const t = this._t;
    this._writeUrl();
    const href = location.href;
    try {
      await navigator.clipboard.writeText(href);
      this._notice.textContent = t.copied;
      this._copyBox.replaceChildren();
    } catch {
      const id = this._id + '-link';
      const box = h('input', { id, type: 'text', readonly: true, part: 'link-input' });
      box.value = href;
      this._copyBox.replaceChildren(h('label', { for: id, class: 'vh' }, t.copyManual), box);
      box.focus();
      box.select();
    }
  }
}

export function define(name = 'tarjotin-search') {
  if (typeof customElements !== 'undefined' && !customElements.get(name)) {
    customElements.define(name, TarjotinSearch);
  }
}
