// inbound admin page. Plain JavaScript (an ES module), no dependencies.
// Every value from the API is rendered with textContent or as an
// attribute value, never as HTML: debug entries, events and hook names
// hold what strangers posted.

(() => {
  const base = location.pathname.replace(/\/+$/, ''); // the API prefix, e.g. "/admin"
  const TOKEN_KEY = 'inbound-admin-token';
  const $ = (id) => document.getElementById(id);
  let current = null; // the hook shown in the detail panel

  function token() { return sessionStorage.getItem(TOKEN_KEY) || ''; }

  function status(msg, isError) {
    const s = $('status');
    s.textContent = msg || '';
    s.className = isError ? 'error' : '';
  }

  // el builds an element; string children become text nodes.
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'className') e.className = v;
      else if (k === 'onclick') e.addEventListener('click', v);
      else e.setAttribute(k, v);
    }
    for (const c of children) {
      if (c === null || c === undefined) continue;
      e.append(typeof c === 'string' ? document.createTextNode(c) : c);
    }
    return e;
  }

  const SVG = 'http://www.w3.org/2000/svg';
  function svg(tag, attrs, ...children) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
    for (const c of children) e.append(typeof c === 'string' ? document.createTextNode(c) : c);
    return e;
  }

  // labelRows gives each cell of the rows of tbody its column's heading as
  // data-label, which narrow screens show before the value when the table
  // is laid out as a list of cards.
  function labelRows(tbody) {
    const heads = [...tbody.parentElement.querySelectorAll('thead th')].map((th) => th.textContent);
    for (const tr of tbody.rows) {
      [...tr.cells].forEach((td, i) => { if (heads[i]) td.setAttribute('data-label', heads[i]); });
    }
  }

  function when(t) { return t ? new Date(t).toLocaleString() : ''; }

  function size(n) {
    if (n < 1024) return n + ' B';
    if (n < 1024 * 1024) return (n / 1024).toFixed(1) + ' KiB';
    return (n / 1024 / 1024).toFixed(1) + ' MiB';
  }

  class APIError extends Error {
    constructor(message, code) { super(message); this.code = code; }
  }

  // api calls the admin API with the token. body is a value to encode, or
  // a string already holding JSON.
  async function api(method, path, body) {
    const opts = { method, headers: { Authorization: 'Bearer ' + token() } };
    if (body !== undefined) {
      opts.headers['Content-Type'] = 'application/json';
      opts.body = typeof body === 'string' ? body : JSON.stringify(body);
    }
    const res = await fetch(base + path, opts);
    if (res.status === 401) {
      logout('The admin token was not accepted.');
      throw new APIError('unauthorized');
    }
    if (res.status === 204) return null;
    let data = null;
    try { data = await res.json(); } catch (e) { data = null; }
    if (!res.ok) {
      throw new APIError(data && data.error ? data.error.message : 'HTTP ' + res.status, data && data.error ? data.error.code : '');
    }
    return data;
  }

  // run performs an action and shows its error, if any, in the status line.
  async function run(fn) {
    try {
      await fn();
    } catch (e) {
      if (!(e instanceof APIError && e.message === 'unauthorized')) status(e.message, true);
    }
  }

  function showApp(on) {
    $('login').hidden = on;
    $('app').hidden = !on;
    $('logout-btn').hidden = !on;
  }

  function logout(msg) {
    sessionStorage.removeItem(TOKEN_KEY);
    current = null;
    showApp(false);
    $('hook-detail').hidden = true;
    const le = $('login-error');
    le.textContent = msg || '';
    le.hidden = !msg;
  }

  async function login(tok) {
    sessionStorage.setItem(TOKEN_KEY, tok);
    await loadHooks();
    if (!token()) return; // rejected
    showApp(true);
    $('login-error').hidden = true;
    status('Signed in.');
    await loadKeys();
    await orgEvents.refresh();
  }

  // --- hooks ---

  let hookNames = new Map(); // hook ID -> name, for the event lists
  let activity = null; // hook ID -> activity summary; null without the route

  async function loadHooks() {
    const data = await api('GET', '/hooks');
    hookNames = new Map(data.hooks.map((h) => [h.id, h.name]));
    await loadActivity();
    const list = $('hooks-list');
    list.replaceChildren();
    $('hooks-empty').hidden = data.hooks.length > 0;
    for (const h of data.hooks) {
      list.append(el('tr', { 'data-testid': 'hook-row', 'data-hook-id': h.id, 'data-hook-name': h.name },
        el('td', { className: 'name-cell' }, h.name, h.disabled ? ' (disabled)' : ''),
        el('td', {}, h.type),
        el('td', { 'data-testid': 'hook-debug' }, h.debug ? 'on' : 'off'),
        el('td', { className: 'chart-cell', 'data-testid': 'hook-activity' }, activityCell(h.id)),
        el('td', { className: 'hide-narrow' }, el('code', {}, h.address)),
        el('td', {}, el('button', { type: 'button', 'data-testid': 'open-hook', onclick: () => run(() => openHook(h.id)) }, 'Open'))));
      if (current && current.id === h.id) showHook(h);
    }
    labelRows(list);
    orgEvents.setHooks(data.hooks);
  }

  // --- activity ---

  async function loadActivity() {
    try {
      const data = await api('GET', '/activity');
      activity = new Map(data.hooks.map((a) => [a.hook_id, a]));
    } catch (e) {
      if (e instanceof APIError && e.code === 'not_found') { activity = null; return; }
      throw e;
    }
  }

  function total(v) { return v.reduce((a, b) => a + b, 0); }

  // chart draws a series as stacked bars: accepted, rejected, failed.
  function chart(series, width, height, label) {
    const n = series.accepted.length;
    const sums = series.accepted.map((a, i) => a + series.rejected[i] + series.failed[i]);
    const top = Math.max(1, ...sums);
    const bw = width / n;
    const g = svg('svg', { class: 'chart', width, height, viewBox: '0 0 ' + width + ' ' + height, role: 'img', 'aria-label': label });
    g.append(svg('line', { class: 'chart-axis', x1: 0, y1: height - 0.5, x2: width, y2: height - 0.5 }));
    const stepMs = series.step === '1h' ? 3600e3 : 60e3;
    const start = new Date(series.start).getTime();
    for (let i = 0; i < n; i++) {
      let y = height - 1;
      const tip = new Date(start + i * stepMs).toLocaleString() + ': ' + series.accepted[i] + ' accepted, ' +
        series.rejected[i] + ' rejected, ' + series.failed[i] + ' failed';
      for (const kind of ['accepted', 'rejected', 'failed']) {
        const v = series[kind][i];
        if (!v) continue;
        const h = Math.max(1, (v / top) * (height - 2));
        y -= h;
        g.append(svg('rect', { class: 'bar-' + kind, x: (i * bw).toFixed(2), y: y.toFixed(2), width: Math.max(1, bw - 0.5).toFixed(2), height: h.toFixed(2) },
          svg('title', {}, tip)));
      }
    }
    return g;
  }

  function legend(series) {
    return el('div', { className: 'legend', 'data-testid': 'activity-totals',
      'data-accepted': String(total(series.accepted)), 'data-rejected': String(total(series.rejected)), 'data-failed': String(total(series.failed)) },
    el('span', { className: 'accepted' }, total(series.accepted) + ' accepted'), ' · ',
    el('span', { className: 'rejected' }, total(series.rejected) + ' rejected'), ' · ',
    el('span', { className: 'failed' }, total(series.failed) + ' failed'));
  }

  function activityCell(id) {
    if (!activity) return 'n/a';
    const a = activity.get(id);
    if (!a) return '';
    return el('div', {}, chart(a.hour, 120, 24, 'activity of the last hour'), legend(a.hour));
  }

  function showActivity() {
    const box = $('detail-activity');
    if (!activity) { box.replaceChildren(el('p', {}, 'Activity counts are not enabled on this server.')); return; }
    const a = activity.get(current.id);
    if (!a) { box.replaceChildren(); return; }
    box.replaceChildren(
      el('div', { className: 'activity-charts' },
        el('figure', {}, chart(a.hour, 300, 60, 'last hour, by minute'), el('figcaption', {}, 'Last hour, by minute'), legend(a.hour)),
        el('figure', {}, chart(a.day, 300, 60, 'last day, by hour'), el('figcaption', {}, 'Last day, by hour'), legend(a.day))),
      a.last_error
        ? el('p', { className: 'last-error', 'data-testid': 'last-error' }, 'Last error (' + when(a.last_error.time) + ', ' + a.last_error.outcome + '): ' + a.last_error.detail)
        : el('p', {}, 'No errors since this server started.'),
      el('p', { className: 'legend' }, 'Counted by this server process since it started; each replica counts its own.'));
  }

  async function openHook(id) {
    const h = await api('GET', '/hooks/' + encodeURIComponent(id));
    showHook(h);
    $('copy-status').textContent = '';
    $('example-error').textContent = '';
    $('example-input').value = h.example_data === null ? '' : JSON.stringify(h.example_data, null, 2);
    $('hook-detail').hidden = false;
    showActivity();
    buildSettings(h);
    hookEvents.setFixedHook(h.id);
    await Promise.all([loadEntries(), loadFields(), hookEvents.refresh()]);
    $('hook-detail').scrollIntoView({ block: 'start' });
  }

  function showHook(h) {
    current = h;
    const d = $('hook-detail');
    d.setAttribute('data-hook-id', h.id);
    $('detail-name').textContent = h.name;
    $('detail-description').textContent = h.description;
    $('detail-type').textContent = h.type;
    $('detail-address').textContent = h.address;
    $('debug-toggle').checked = h.debug;
  }

  function hookPath(suffix) { return '/hooks/' + encodeURIComponent(current.id) + (suffix || ''); }

  // copyText puts text on the clipboard: the async Clipboard API when it
  // answers within a second, else a selected textarea and execCommand.
  async function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      try {
        await Promise.race([
          navigator.clipboard.writeText(text),
          new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 1000)),
        ]);
        return true;
      } catch (e) { /* fall back */ }
    }
    const ta = el('textarea', { readonly: '', className: 'offscreen' });
    ta.value = text;
    document.body.append(ta);
    ta.select();
    let ok = false;
    try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
    ta.remove();
    return ok;
  }

  async function copyAddress() {
    const addr = current.address;
    const cs = $('copy-status');
    const ok = await copyText(addr);
    cs.setAttribute('data-copied', addr);
    if (ok) {
      cs.textContent = 'Copied';
    } else {
      cs.textContent = 'Select the address and copy it';
      const range = document.createRange();
      range.selectNodeContents($('detail-address'));
      const sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
    }
  }

  async function setDebug(on) {
    const h = await api('PATCH', hookPath(), { debug: on });
    showHook(h);
    status(on ? 'Debug is on: new requests are recorded.' : 'Debug is off: recording stopped; entries stay.');
    await loadHooks();
  }

  async function rotate() {
    if (!confirm('Give this hook a new address? The old address stops working at once.')) return;
    const h = await api('POST', hookPath('/rotate'));
    showHook(h);
    $('copy-status').textContent = '';
    status('The hook has a new address.');
    await loadHooks();
  }

  async function deleteHook() {
    if (!confirm('Delete the hook "' + current.name + '"? Its address stops working.')) return;
    await api('DELETE', hookPath());
    current = null;
    $('hook-detail').hidden = true;
    status('Hook deleted.');
    await loadHooks();
  }

  // --- debug log ---

  function pre(text) { return el('pre', {}, text); }

  // droppedNote says how many header values (and bytes) an arrival lost
  // to the pipeline's header budget, or is null when none were dropped.
  function droppedNote(n, bytes) {
    if (!n) return null;
    return el('p', { className: 'note', 'data-testid': 'headers-dropped', 'data-dropped': String(n), 'data-dropped-bytes': String(bytes || 0) },
      n + (n === 1 ? ' header' : ' headers') + ' (' + (bytes || 0) + ' bytes) dropped over the 16 KiB budget');
  }

  function entryView(e) {
    const when = new Date(e.time).toLocaleString();
    const summary = when + '  ' + e.method + ' ' + e.path + '  ' + e.status + ' ' + e.outcome + (e.reason ? ' (' + e.reason + ')' : '');
    const headers = Object.entries(e.headers || {}).map(([k, vs]) => vs.map((v) => k + ': ' + v).join('\n')).join('\n');
    let bodyNote = e.body_size + ' bytes';
    if (e.body_truncated) bodyNote += ', truncated';
    if (e.encoding) bodyNote += ', ' + e.encoding;
    const facts = el('ul', {},
      el('li', {}, 'From: ' + e.remote_addr),
      el('li', {}, 'Duration: ' + e.duration_ms.toFixed(1) + ' ms'),
      e.event_id ? el('li', {}, 'Event: ' + e.event_id) : null,
      e.trigger_error ? el('li', { className: 'error' }, 'Trigger error: ' + e.trigger_error) : null);
    const use = el('button', { type: 'button', 'data-testid': 'use-as-example', onclick: () => run(() => useEntry(e.id)) }, 'Use data as example');
    if (e.data === null) use.disabled = true;
    return el('li', { 'data-testid': 'debug-entry', 'data-entry-id': e.id, 'data-outcome': e.outcome },
      el('details', {},
        el('summary', { className: 'outcome-' + e.outcome }, summary),
        facts,
        el('h4', {}, 'Headers'), droppedNote(e.headers_dropped, e.header_bytes_dropped), pre(headers),
        el('h4', {}, 'Body (' + bodyNote + ')'), pre(e.body),
        el('h4', {}, 'Data' + (e.data_omitted ? ' (too large to keep)' : '')),
        pre(e.data === null ? 'none' : JSON.stringify(e.data, null, 2)),
        use));
  }

  async function loadEntries() {
    const data = await api('GET', hookPath('/debug-logs'));
    $('debug-entries').replaceChildren(...data.entries.map(entryView));
    $('debug-empty').hidden = data.entries.length > 0;
  }

  // --- example data and fields ---

  async function loadFields() {
    const data = await api('GET', hookPath('/fields'));
    $('fields-list').replaceChildren(...data.fields.map((f) =>
      el('tr', { 'data-testid': 'field', 'data-path': f.path, 'data-type': f.type },
        el('td', {}, el('code', {}, f.path === '' ? '(the whole payload)' : f.path)), el('td', {}, f.type))));
    $('fields-empty').hidden = data.fields.length > 0;
  }

  async function saveExample() {
    const text = $('example-input').value.trim();
    $('example-error').textContent = '';
    if (text !== '') {
      try { JSON.parse(text); } catch (e) {
        $('example-error').textContent = 'Not valid JSON: ' + e.message;
        return;
      }
    }
    // Send the text as it is, so that large numbers keep every digit.
    const h = await api('POST', hookPath('/example-data'), '{"data":' + (text === '' ? 'null' : text) + '}');
    showHook(h);
    status('Example data saved.');
    await loadFields();
  }

  async function useEntry(id) {
    const h = await api('POST', hookPath('/example-data'), { from_debug_entry: id });
    showHook(h);
    $('example-input').value = h.example_data === null ? '' : JSON.stringify(h.example_data, null, 2);
    status('Example data taken from the debug entry.');
    await loadFields();
  }

  // --- API keys ---

  let rolesShown = false;

  async function loadKeys() {
    const data = await api('GET', '/keys');
    if (!rolesShown) {
      rolesShown = true;
      $('known-roles').replaceChildren(...(data.known_roles || []).map((r) => {
        const id = 'role-' + r.name.replace(/[^a-z0-9]/g, '-');
        const box = el('input', { type: 'checkbox', id, value: r.name, 'data-testid': 'role-choice' });
        box.checked = r.name === 'org.hooks';
        return el('span', {}, box, el('label', { for: id }, r.name + ' (' + r.description + ')'));
      }));
    }
    $('keys-list').replaceChildren(...data.keys.map((k) =>
      el('tr', { 'data-testid': 'key-row', 'data-key-id': k.id, 'data-key-name': k.name },
        el('td', { className: 'name-cell' }, k.name),
        el('td', { 'data-testid': 'key-roles' }, k.roles.join(', ')),
        el('td', {}, when(k.created_at)),
        el('td', { 'data-testid': 'key-last-used' }, k.last_used ? when(k.last_used) : 'never'),
        el('td', {}, el('button', { type: 'button', className: 'danger', 'data-testid': 'revoke-key',
          onclick: () => run(() => revokeKey(k)) }, 'Revoke')))));
    labelRows($('keys-list'));
  }

  async function createKey(name) {
    const roles = [...document.querySelectorAll('#known-roles input:checked')].map((b) => b.value);
    for (const r of $('new-key-other-roles').value.split(',')) {
      if (r.trim() !== '' && !roles.includes(r.trim())) roles.push(r.trim());
    }
    $('new-key-error').textContent = '';
    let k;
    try {
      k = await api('POST', '/keys', { name, roles });
    } catch (e) {
      $('new-key-error').textContent = e.message;
      throw e;
    }
    $('new-key-other-roles').value = '';
    $('new-key-value').textContent = k.key;
    $('new-key-box').hidden = false;
    status('Key created. It is shown once.');
    await loadKeys();
  }

  async function revokeKey(k) {
    if (!confirm('Revoke the key "' + k.name + '"? Senders using it are refused at once.')) return;
    await api('DELETE', '/keys/' + encodeURIComponent(k.id));
    status('Key revoked.');
    await loadKeys();
  }

  // --- settings ---

  // A settings editor is a list of rows: a label, a control, and the spot
  // where an error the API gives for that setting is shown. Errors of
  // validation name the setting first ("redirect_url must be ..."), so
  // the error goes next to the setting whose name starts the message.
  function settingRow(form, name, label, control, hint) {
    const id = 'set-' + name.replace(/[^a-z0-9]/g, '-');
    control.id = id;
    control.setAttribute('data-setting', name);
    form.append(el('label', { for: id }, label), control);
    if (hint) form.append(el('span', { className: 'hint', 'data-hint': name }, hint));
    form.append(el('span', { className: 'field-error', 'data-field': name, role: 'alert' }));
    return control;
  }

  function input(type, value, attrs) {
    const i = el('input', Object.assign({ type }, attrs || {}));
    i.value = value === undefined || value === null ? '' : String(value);
    return i;
  }

  function textarea(lines) {
    const t = el('textarea', { rows: '3', spellcheck: 'false' });
    t.value = (lines || []).join('\n');
    return t;
  }

  function select(options, value) {
    const s = el('select', {}, ...options.map(([v, label]) => el('option', { value: v }, label)));
    s.value = value || '';
    return s;
  }

  function lines(t) { return t.value.split('\n').map((x) => x.trim()).filter((x) => x !== ''); }

  function clearErrors(form) {
    for (const e of form.querySelectorAll('[data-field]')) e.textContent = '';
  }

  // showError puts the API's message next to the setting it names, or in
  // the form's general error spot.
  function showError(form, e) {
    const spots = [...form.querySelectorAll('[data-field]')];
    let best = null;
    for (const spot of spots) {
      const f = spot.getAttribute('data-field');
      if (f !== '' && (e.message === f || e.message.startsWith(f + ' ') || e.message.startsWith(f + '.')) &&
          (!best || f.length > best.getAttribute('data-field').length)) best = spot;
    }
    (best || form.querySelector('[data-field=""]')).textContent = e.message;
  }

  async function saveSettings(form, settings, done) {
    clearErrors(form);
    try {
      const h = await api('PATCH', hookPath(), { settings });
      showHook(h);
      buildSettings(h);
      status(done || 'Settings saved.');
    } catch (e) {
      if (e instanceof APIError && e.message !== 'unauthorized') { showError(form, e); status('The settings were not saved.', true); return; }
      throw e;
    }
  }

  function button(label, testid, fn) {
    return el('button', { type: 'button', 'data-testid': testid, onclick: () => run(fn) }, label);
  }

  const EDITORS = {
    form(form, st) {
      const origins = settingRow(form, 'allowed_origins', 'CORS origins', textarea(st.allowed_origins), 'One per line: scheme://host[:port], or * for any.');
      const redirect = settingRow(form, 'redirect_url', 'Redirect URL', input('url', st.redirect_url, { placeholder: 'https://example.com/thanks' }));
      const honeypot = settingRow(form, 'honeypot', 'Honeypot field', input('text', st.honeypot, { maxlength: '200' }));
      const rl = st.rate_limit || {};
      const perSec = settingRow(form, 'rate_limit', 'Rate limit (posts per second per client)', input('number', rl.per_second, { step: 'any', min: '0' }), 'Empty: no per-hook limit.');
      const burst = settingRow(form, 'rate_limit.burst', 'Burst', input('number', rl.burst, { step: '1', min: '0' }));
      return () => ({
        allowed_origins: lines(origins), redirect_url: redirect.value.trim(), honeypot: honeypot.value.trim(),
        rate_limit: perSec.value === '' ? null : { per_second: Number(perSec.value), burst: burst.value === '' ? 0 : Number(burst.value) },
      });
    },
    web(form, st) {
      const info = st.signature_info || null;
      const auth = settingRow(form, 'auth', 'Sender authentication', select([['', 'API key (org.hooks role)'], ['signature', 'Signature only'], ['both', 'API key and signature']], st.auth));
      const scheme = settingRow(form, 'signature', 'Signature scheme', select([['', '(none)'], ['standard-webhooks', 'Standard Webhooks'],
        ['github', 'GitHub'], ['stripe', 'Stripe'], ['shopify', 'Shopify'], ['hmac', 'HMAC of the body']], info ? info.scheme : ''));
      const header = settingRow(form, 'signature.header', 'Header (hmac)', input('text', info && info.header));
      const algorithm = settingRow(form, 'signature.algorithm', 'Algorithm (hmac)', select([['', 'sha256'], ['sha512', 'sha512']], info && info.algorithm));
      const encoding = settingRow(form, 'signature.encoding', 'Encoding (hmac)', select([['', 'hex'], ['base64', 'base64']], info && info.encoding));
      const prefix = settingRow(form, 'signature.prefix', 'Prefix (hmac)', input('text', info && info.prefix));
      const tolerance = settingRow(form, 'signature.tolerance_seconds', 'Timestamp tolerance, seconds', input('number', info && info.tolerance_seconds ? info.tolerance_seconds : '', { min: '0', step: '1' }), 'Standard Webhooks and Stripe; empty: 300.');
      const secret = settingRow(form, 'signature.secrets', 'Secret', input('password', '', { autocomplete: 'new-password' }),
        info ? 'Set: replaces every secret. Changing the scheme or its options needs the secret again.' : 'The shared secret the sender signs with.');
      const fps = el('ol', { className: 'fingerprints', 'data-testid': 'secret-fingerprints' },
        ...(info ? info.secrets : []).map((x, i) => el('li', { 'data-fingerprint': x.fingerprint }, el('code', {}, x.fingerprint), i === 0 ? ' signs and verifies' : ' verifies (older)')));
      form.append(el('span', {}, 'Secrets, newest first'), info ? fps : el('span', { 'data-testid': 'no-signature' }, 'No signature configured.'));
      const add = settingRow(form, 'add_secret', 'New secret (rotate)', input('password', '', { autocomplete: 'new-password' }), 'Added first; the others keep verifying until you drop them.');
      form.append(el('span', {}), el('div', { className: 'actions' },
        button('Add secret', 'add-secret', () => {
          if (add.value === '') { form.querySelector('[data-field="add_secret"]').textContent = 'add_secret must not be empty'; return; }
          return saveSettings(form, { add_secret: add.value }, 'Secret added: both secrets verify until the old ones are dropped.');
        }),
        button('Drop old secrets', 'drop-secrets', () => saveSettings(form, { drop_old_secrets: true }, 'Old secrets dropped.'))));
      return () => {
        const out = { auth: auth.value };
        const changed = !info || scheme.value !== info.scheme || header.value !== (info.header || '') || algorithm.value !== (info.algorithm || '') ||
          encoding.value !== (info.encoding || '') || prefix.value !== (info.prefix || '') || Number(tolerance.value || 0) !== (info.tolerance_seconds || 0);
        if (scheme.value === '') {
          if (info) out.signature = null;
        } else if (secret.value !== '' || changed) {
          const sig = { scheme: scheme.value, secrets: secret.value === '' ? [] : [secret.value] };
          if (header.value) sig.header = header.value;
          if (algorithm.value) sig.algorithm = algorithm.value;
          if (encoding.value) sig.encoding = encoding.value;
          if (prefix.value) sig.prefix = prefix.value;
          if (tolerance.value) sig.tolerance_seconds = Number(tolerance.value);
          out.signature = sig;
        }
        return out;
      };
    },
    email(form, st) {
      const p = st.sender_policy || {};
      const mode = settingRow(form, 'sender_policy.mode', 'Sender policy', select([['', 'Off: take mail from anyone'], ['flag', 'Flag other senders'], ['reject', 'Reject other senders']], p.mode === 'off' ? '' : p.mode));
      const allowed = settingRow(form, 'sender_policy.allowed', 'Allowed senders', textarea(p.allowed), 'One per line: example.net, *.example.net or orders@example.net.');
      return () => ({ sender_policy: mode.value === '' && lines(allowed).length === 0 ? null : { mode: mode.value, allowed: lines(allowed) } });
    },
  };

  function buildSettings(h) {
    const form = $('settings-form');
    form.replaceChildren();
    const editor = EDITORS[h.type];
    if (!editor) { form.append(el('p', { className: 'full' }, 'This kind of hook has no settings the page can edit.')); return; }
    const read = editor(form, h.settings || {});
    form.append(el('span', {}), el('div', { className: 'actions' },
      el('button', { type: 'submit', 'data-testid': 'save-settings' }, 'Save settings'),
      el('span', { className: 'error', 'data-field': '', role: 'alert' })));
    form.onsubmit = (ev) => { ev.preventDefault(); run(() => saveSettings(form, read())); };
  }

  // --- events ---

  // eventList builds an event list with its filters in root. With a fixed
  // hook (the hook detail) it lists that hook's events only.
  function eventList(root, name) {
    let fixedHook = null;
    let cursor = null;
    let available = true;
    const state = select([['', 'Any state'], ['pending', 'Pending'], ['delivered', 'Delivered'], ['dead', 'Dead']], '');
    const hook = select([['', 'Any hook']], '');
    const since = input('datetime-local', '');
    const until = input('datetime-local', '');
    const id = input('search', '', { placeholder: 'event ID' });
    const key = input('search', '', { placeholder: 'idempotency key' });
    const hookLabel = el('label', {}, 'Hook', hook);
    const filters = el('form', { className: 'filters', 'data-testid': name + '-filters' },
      el('label', {}, 'State', state), hookLabel, el('label', {}, 'From', since), el('label', {}, 'Before', until),
      el('label', {}, 'Event ID', id), el('label', {}, 'Idempotency key', key),
      el('button', { type: 'submit', 'data-testid': name + '-apply' }, 'Show'));
    for (const [c, n] of [[state, 'state'], [hook, 'hook'], [id, 'id'], [key, 'key'], [since, 'since'], [until, 'until']]) c.setAttribute('data-filter', n);
    const rows = el('tbody', { 'data-testid': name + '-list' });
    const table = el('div', { className: 'table-wrap' }, el('table', { className: 'cards' },
      el('thead', {}, el('tr', {}, el('th', {}, ''), el('th', {}, 'Created'), el('th', {}, 'Hook'), el('th', {}, 'State'),
        el('th', {}, 'Attempts'), el('th', {}, 'Last error'), el('th', { className: 'hide-narrow' }, 'Size'), el('th', {}, ''))), rows));
    const empty = el('p', {}, 'No events.');
    const more = el('button', { type: 'button', 'data-testid': name + '-more', hidden: '' }, 'Older events');
    const replaySel = el('button', { type: 'button', 'data-testid': name + '-replay-selected', disabled: '' }, 'Replay selected');
    const detail = el('div', { 'data-testid': name + '-detail' });
    root.replaceChildren(filters, table, empty, el('div', { className: 'actions' }, replaySel, more), detail);

    function query() {
      const q = new URLSearchParams();
      if (state.value) q.set('state', state.value);
      const h = fixedHook || hook.value;
      if (h) q.set('hook', h);
      if (since.value) q.set('since', new Date(since.value).toISOString());
      if (until.value) q.set('until', new Date(until.value).toISOString());
      if (id.value.trim()) q.set('id', id.value.trim());
      if (key.value.trim()) q.set('key', key.value.trim());
      q.set('limit', '50');
      if (cursor) q.set('cursor', cursor);
      return q;
    }

    function selected() { return [...rows.querySelectorAll('input[type=checkbox]:checked')].map((b) => b.value); }
    function updateSelection() { replaySel.disabled = selected().length === 0; }

    function row(ev) {
      const box = el('input', { type: 'checkbox', value: ev.id, 'aria-label': 'select event ' + ev.id, 'data-testid': 'select-event' });
      box.disabled = ev.state !== 'dead';
      box.addEventListener('change', updateSelection);
      return el('tr', { 'data-testid': 'event-row', 'data-event-id': ev.id, 'data-state': ev.state },
        el('td', {}, box),
        el('td', {}, when(ev.created_at)),
        el('td', { className: 'name-cell' }, hookNames.get(ev.hook_id) || ev.hook_id),
        el('td', { className: 'state-' + ev.state, 'data-testid': 'event-state' }, ev.state),
        el('td', {}, String(ev.attempts)),
        el('td', { className: 'error-cell', 'data-testid': 'event-error' }, ev.last_error || ''),
        el('td', { className: 'hide-narrow' }, size(ev.size)),
        el('td', {}, el('button', { type: 'button', 'data-testid': 'open-event', onclick: () => run(() => open(ev.id)) }, 'Open'),
          ev.state === 'dead' ? el('button', { type: 'button', 'data-testid': 'replay-event', onclick: () => run(() => replay([ev.id])) }, 'Replay') : null));
    }

    async function load(append) {
      if (!available) return;
      let data;
      const q = query().toString();
      try {
        data = await api('GET', '/events?' + q);
      } catch (e) {
        if (e instanceof APIError && e.code === 'not_found' && !append) {
          available = false;
          $('events-section').hidden = true;
          root.replaceChildren(el('p', {}, 'Events are kept only with durable delivery (a queue).'));
          return;
        }
        throw e;
      }
      if (name === 'org-events') $('events-section').hidden = false;
      if (!append) rows.replaceChildren();
      rows.append(...data.events.map(row));
      labelRows(rows);
      rows.setAttribute('data-query', q);
      empty.hidden = rows.children.length > 0;
      cursor = data.next_cursor || null;
      more.hidden = !cursor;
      updateSelection();
    }

    async function refresh() { cursor = null; await load(false); }

    async function open(eid) {
      const ev = await api('GET', '/events/' + encodeURIComponent(eid));
      const e = ev.event || {};
      const headers = Object.entries(e.header || {}).map(([k, vs]) => vs.map((v) => k + ': ' + v).join('\n')).join('\n');
      detail.replaceChildren(el('div', { className: 'event-detail', 'data-testid': 'event-detail', 'data-event-id': ev.id },
        el('h4', {}, 'Event ' + ev.id),
        el('ul', {},
          el('li', {}, 'Hook: ' + (hookNames.get(ev.hook_id) || ev.hook_id)),
          el('li', {}, 'State: ' + ev.state + ', ' + ev.attempts + ' attempt(s)'),
          el('li', {}, 'Created: ' + when(ev.created_at) + '; updated: ' + when(ev.updated_at)),
          ev.next_attempt ? el('li', {}, 'Next attempt: ' + when(ev.next_attempt)) : null,
          ev.idempotency_key ? el('li', {}, 'Idempotency key: ' + ev.idempotency_key) : null,
          el('li', {}, 'Size: ' + size(ev.size)),
          e.remote_addr ? el('li', {}, 'From: ' + e.remote_addr) : null,
          e.content_type ? el('li', {}, 'Content type: ' + e.content_type) : null,
          ev.last_error ? el('li', { className: 'error' }, 'Last error: ' + ev.last_error) : null),
        el('h4', {}, 'Data'), pre(ev.event ? JSON.stringify(e.data, null, 2) : 'The stored event cannot be read.'),
        el('h4', {}, 'Headers (as redacted on arrival)'), droppedNote(e.headers_dropped, e.header_bytes_dropped), pre(headers || 'none'),
        e.email ? el('h4', {}, 'Email') : null,
        e.email ? pre('From: ' + e.email.from + '\nSubject: ' + e.email.subject) : null,
        (e.files || []).length ? el('h4', {}, 'Files') : null,
        (e.files || []).length ? el('ul', {}, ...e.files.map((f) => el('li', {}, f.field + ': ' + (f.name || '(no name)') + ', ' + f.content_type + ', ' + size(f.size)))) : null,
        el('div', { className: 'actions' },
          ev.state === 'dead' ? el('button', { type: 'button', 'data-testid': 'detail-replay', onclick: () => run(() => replay([ev.id])) }, 'Replay') : null,
          el('button', { type: 'button', onclick: () => detail.replaceChildren() }, 'Close'))));
    }

    async function replay(ids) {
      const res = await api('POST', '/events/replay', { ids });
      detail.replaceChildren();
      const msg = res.replayed.length + ' event(s) replayed' + (res.failed.length ? '; not replayed: ' + res.failed.map((f) => f.id + ' (' + f.message + ')').join(', ') : '.');
      status(msg, res.failed.length > 0);
      await refreshAll();
    }

    filters.addEventListener('submit', (ev) => { ev.preventDefault(); run(refresh); });
    more.addEventListener('click', () => run(() => load(true)));
    replaySel.addEventListener('click', () => run(() => replay(selected())));

    return {
      refresh,
      // setFixedHook shows the events of hook h; the filters of another
      // hook's list are cleared.
      setFixedHook(h) {
        if (fixedHook !== h) {
          for (const c of [state, since, until, id, key]) c.value = '';
          detail.replaceChildren();
        }
        fixedHook = h;
        hookLabel.hidden = true;
      },
      setHooks(hs) {
        const v = hook.value;
        hook.replaceChildren(el('option', { value: '' }, 'Any hook'), ...hs.map((h) => el('option', { value: h.id }, h.name)));
        hook.value = hs.some((h) => h.id === v) ? v : '';
      },
    };
  }

  const orgEvents = eventList($('org-events'), 'org-events');
  const hookEvents = eventList($('hook-events'), 'hook-events');

  // refreshAll reloads what an action may have changed: the lists of
  // events and the activity.
  async function refreshAll() {
    await loadHooks();
    if (current) { showActivity(); await hookEvents.refresh(); }
    await orgEvents.refresh();
  }

  // --- wiring ---

  document.addEventListener('DOMContentLoaded', () => {
    $('login-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      run(() => login($('token-input').value.trim()));
    });
    $('logout-btn').addEventListener('click', () => logout(''));
    $('new-hook-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      run(async () => {
        const h = await api('POST', '/hooks', {
          name: $('new-hook-name').value, description: $('new-hook-description').value, type: $('new-hook-type').value,
        });
        $('new-hook-name').value = '';
        $('new-hook-description').value = '';
        status('Hook "' + h.name + '" added.');
        await loadHooks();
        await openHook(h.id);
      });
    });
    $('copy-address').addEventListener('click', () => run(copyAddress));
    $('debug-toggle').addEventListener('change', (ev) => run(() => setDebug(ev.target.checked)));
    $('rotate-btn').addEventListener('click', () => run(rotate));
    $('delete-btn').addEventListener('click', () => run(deleteHook));
    $('close-detail').addEventListener('click', () => { current = null; $('hook-detail').hidden = true; });
    $('debug-refresh').addEventListener('click', () => run(loadEntries));
    $('example-save').addEventListener('click', () => run(saveExample));
    $('new-key-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      run(async () => { await createKey($('new-key-name').value); $('new-key-name').value = ''; });
    });
    $('new-key-dismiss').addEventListener('click', () => {
      $('new-key-value').textContent = '';
      $('new-key-box').hidden = true;
    });
    $('activity-refresh') && $('activity-refresh').addEventListener('click', () => run(refreshAll));
    if (token()) run(() => login(token()));
  });
})();
