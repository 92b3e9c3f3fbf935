// inbound admin page. Plain JavaScript, no dependencies. Every value from
// the API is rendered with textContent, never as HTML: debug entries hold
// what strangers posted.
'use strict';

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

  class APIError extends Error {}

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
      throw new APIError(data && data.error ? data.error.message : 'HTTP ' + res.status);
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
  }

  // --- hooks ---

  async function loadHooks() {
    const data = await api('GET', '/hooks');
    const list = $('hooks-list');
    list.replaceChildren();
    $('hooks-empty').hidden = data.hooks.length > 0;
    for (const h of data.hooks) {
      list.append(el('tr', { 'data-testid': 'hook-row', 'data-hook-id': h.id, 'data-hook-name': h.name },
        el('td', {}, h.name, h.disabled ? ' (disabled)' : ''),
        el('td', {}, h.type),
        el('td', { 'data-testid': 'hook-debug' }, h.debug ? 'on' : 'off'),
        el('td', {}, el('code', {}, h.address)),
        el('td', {}, el('button', { type: 'button', 'data-testid': 'open-hook', onclick: () => run(() => openHook(h.id)) }, 'Open'))));
      if (current && current.id === h.id) showHook(h);
    }
  }

  async function openHook(id) {
    const h = await api('GET', '/hooks/' + encodeURIComponent(id));
    showHook(h);
    $('copy-status').textContent = '';
    $('example-error').textContent = '';
    $('example-input').value = h.example_data === null ? '' : JSON.stringify(h.example_data, null, 2);
    $('hook-detail').hidden = false;
    await Promise.all([loadEntries(), loadFields()]);
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
        el('h4', {}, 'Headers'), pre(headers),
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

  async function loadKeys() {
    const data = await api('GET', '/keys');
    $('keys-list').replaceChildren(...data.keys.map((k) =>
      el('tr', { 'data-testid': 'key-row', 'data-key-id': k.id },
        el('td', {}, k.name),
        el('td', {}, k.roles.join(', ')),
        el('td', {}, new Date(k.created_at).toLocaleString()),
        el('td', {}, el('button', { type: 'button', className: 'danger', 'data-testid': 'revoke-key',
          onclick: () => run(() => revokeKey(k)) }, 'Revoke')))));
  }

  async function createKey(name) {
    const k = await api('POST', '/keys', { name, roles: ['org.hooks'] });
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
    if (token()) run(() => login(token()));
  });
})();
