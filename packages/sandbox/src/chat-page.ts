/**
 * The chat page served at `GET /`: self-contained HTML/CSS/JS (no build step, nothing loaded from the
 * network). It plays the USER: the business's messages appear on the left with their delivery ticks, the
 * user's replies on the right. It polls `/_sandbox/state` and posts replies and button taps to
 * `/_sandbox/inbound`. All user data is inserted with textContent, never as HTML.
 *
 * The script deliberately avoids template literals so this file can hold it inside one.
 */
export const CHAT_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>WhatsApp Cloud API sandbox</title>
<style>
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: #d1d7db; color: #111b21; }
  .app { display: flex; height: 100vh; max-width: 1200px; margin: 0 auto; background: #fff; box-shadow: 0 0 12px rgba(0,0,0,.15); }
  aside { width: 300px; border-right: 1px solid #e9edef; display: flex; flex-direction: column; }
  .brand { background: #008069; color: #fff; padding: 14px 16px; }
  .brand b { display: block; font-size: 16px; }
  .brand small { opacity: .85; }
  .newchat { display: flex; gap: 6px; padding: 10px; border-bottom: 1px solid #e9edef; background: #f0f2f5; }
  .newchat input { flex: 1; min-width: 0; padding: 7px 9px; border: 1px solid #d1d7db; border-radius: 6px; font: inherit; }
  .newchat button, .composer button { background: #008069; color: #fff; border: 0; border-radius: 6px; padding: 7px 12px; font: inherit; cursor: pointer; }
  #convs { list-style: none; margin: 0; padding: 0; overflow-y: auto; flex: 1; }
  #convs li { padding: 12px 16px; border-bottom: 1px solid #f0f2f5; cursor: pointer; }
  #convs li:hover { background: #f5f6f6; }
  #convs li.active { background: #e9edef; }
  #convs .who { font-weight: 600; }
  #convs .num { color: #667781; font-size: 12px; }
  main { flex: 1; display: flex; flex-direction: column; min-width: 0; }
  header { background: #f0f2f5; padding: 10px 16px; border-bottom: 1px solid #e9edef; min-height: 56px; }
  header .title { font-weight: 600; font-size: 15px; }
  header .sub { color: #667781; font-size: 12px; }
  .pill { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 11px; margin-left: 6px; }
  .pill.open { background: #d9fdd3; color: #1f7a34; }
  .pill.closed { background: #fde2e1; color: #a02622; }
  #thread { flex: 1; overflow-y: auto; padding: 16px 6%; background: #efeae2; display: flex; flex-direction: column; gap: 6px; }
  .empty { margin: auto; color: #667781; text-align: center; max-width: 380px; }
  .row { display: flex; }
  .row.biz { justify-content: flex-start; }
  .row.user { justify-content: flex-end; }
  .bubble { max-width: 65%; padding: 6px 9px 4px; border-radius: 8px; box-shadow: 0 1px .5px rgba(0,0,0,.13); white-space: pre-wrap; word-wrap: break-word; }
  .biz .bubble { background: #fff; border-top-left-radius: 0; }
  .user .bubble { background: #d9fdd3; border-top-right-radius: 0; }
  .label { font-size: 11px; color: #8696a0; margin-bottom: 2px; }
  .hdr { font-weight: 600; margin-bottom: 2px; }
  .ftr { color: #667781; font-size: 12px; margin-top: 3px; }
  .media { display: block; background: #f0f2f5; border-radius: 6px; padding: 8px; margin-bottom: 4px; color: #027eb5; text-decoration: none; }
  .meta { text-align: right; font-size: 11px; color: #667781; margin-top: 2px; }
  .tick.read { color: #53bdeb; }
  .tick.failed { color: #d93025; }
  .btns { display: flex; flex-direction: column; gap: 4px; margin-top: 6px; }
  .btns button, .btns a { background: #fff; border: 1px solid #e9edef; border-radius: 6px; padding: 6px; color: #027eb5; font: inherit; cursor: pointer; text-align: center; text-decoration: none; }
  .btns button:hover { background: #f5f6f6; }
  .btns .sec { font-size: 11px; color: #8696a0; text-transform: uppercase; margin-top: 4px; }
  .typing { color: #008069; font-style: italic; font-size: 12px; }
  .composer { display: flex; gap: 8px; padding: 10px 16px; background: #f0f2f5; }
  .composer input { flex: 1; padding: 10px 12px; border: 0; border-radius: 8px; font: inherit; }
  .composer button:disabled { background: #8fb9b0; cursor: default; }
  .hook { font-size: 11px; color: #667781; padding: 8px 16px; border-top: 1px solid #e9edef; }
</style>
</head>
<body>
<div class="app">
  <aside>
    <div class="brand"><b id="bizname">WhatsApp sandbox</b><small id="biznum"></small></div>
    <form class="newchat" id="newchat">
      <input id="newnum" placeholder="User number, e.g. 15551230001" aria-label="User number">
      <input id="newname" placeholder="Name" aria-label="User name" style="max-width:80px">
      <button type="submit">Chat</button>
    </form>
    <ul id="convs"></ul>
    <div class="hook" id="hook"></div>
  </aside>
  <main>
    <header><div class="title" id="title">No conversation selected</div><div class="sub" id="sub">Send a message from your flow, or start a chat as a user on the left.</div></header>
    <div id="thread"><div class="empty">Messages your flow sends appear here. Reply as the user: every reply and button tap is delivered to your webhook, signed like Meta's.</div></div>
    <form class="composer" id="composer">
      <input id="text" placeholder="Type a reply as the user" autocomplete="off" aria-label="Reply">
      <button type="submit" id="send">Send</button>
    </form>
  </main>
</div>
<script>
(function () {
  var state = null, version = -1, current = null, polls = 0, names = {};
  function el(tag, cls, text) { var e = document.createElement(tag); if (cls) e.className = cls; if (text != null) e.textContent = text; return e; }
  function left(ms) { var m = Math.max(0, Math.round(ms / 60000)); return Math.floor(m / 60) + ' h ' + (m % 60) + ' min'; }
  function time(ms) { var d = new Date(ms); return ('0' + d.getHours()).slice(-2) + ':' + ('0' + d.getMinutes()).slice(-2); }
  function post(body) {
    return fetch('/_sandbox/inbound', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
      .then(function (r) { return r.json(); }).then(function () { poll(true); });
  }
  function conv(waId) { if (!state) return null; for (var i = 0; i < state.conversations.length; i++) if (state.conversations[i].waId === waId) return state.conversations[i]; return null; }
  function nameOf(waId) { var c = conv(waId); return (c && c.name) || names[waId] || ''; }
  function reply(item, b) {
    var body = { from: current, name: nameOf(current) || undefined, context: item.id };
    if (b.reply.type === 'button') body.type = 'button', body.payload = { payload: b.reply.payload, text: b.reply.text };
    else if (b.reply.type === 'button_reply') body.type = 'interactive', body.payload = { type: 'button_reply', button_reply: { id: b.reply.id, title: b.reply.title } };
    else body.type = 'interactive', body.payload = { type: 'list_reply', list_reply: { id: b.reply.id, title: b.reply.title, description: b.reply.description } };
    return post(body);
  }
  function ticks(item) {
    var s = item.status;
    if (s === 'failed') return el('span', 'tick failed', '\\u26a0 failed' + (item.error ? ' (#' + item.error.code + ' ' + item.error.title + ')' : ''));
    if (s === 'read') return el('span', 'tick read', '\\u2713\\u2713');
    if (s === 'delivered') return el('span', 'tick', '\\u2713\\u2713');
    if (s === 'sent') return el('span', 'tick', '\\u2713');
    return el('span', 'tick', '\\u25f7');
  }
  function bubble(item) {
    var v = item.view, row = el('div', 'row ' + (item.dir === 'out' ? 'biz' : 'user')), b = el('div', 'bubble');
    b.setAttribute('data-id', item.id);
    if (item.dir === 'out' && v.label !== 'text') b.appendChild(el('div', 'label', v.label));
    if (v.media) { var a = el('a', 'media', 'Open ' + v.media.type + ' \\u2197'); a.href = v.media.href; a.target = '_blank'; a.rel = 'noopener'; b.appendChild(a); }
    if (v.header) b.appendChild(el('div', 'hdr', v.header));
    if (v.text) b.appendChild(el('div', 'txt', v.text));
    if (v.footer) b.appendChild(el('div', 'ftr', v.footer));
    if (v.buttons && v.buttons.length) {
      var box = el('div', 'btns'), lastSec = null;
      if (v.listButton) box.appendChild(el('div', 'sec', '\\u2630 ' + v.listButton));
      v.buttons.forEach(function (bt) {
        if (bt.section && bt.section !== lastSec) { box.appendChild(el('div', 'sec', bt.section)); lastSec = bt.section; }
        if (bt.url) { var l = el('a', null, '\\u2197 ' + bt.title); l.href = bt.url; l.target = '_blank'; l.rel = 'noopener'; box.appendChild(l); }
        else {
          var btn = el('button', null, bt.title); btn.type = 'button';
          if (bt.reply) btn.onclick = function () { btn.disabled = true; reply(item, bt); };
          else btn.disabled = true;
          box.appendChild(btn);
        }
      });
      b.appendChild(box);
    }
    var meta = el('div', 'meta', time(item.at) + ' ');
    if (item.dir === 'out') meta.appendChild(ticks(item));
    else if (item.read) meta.appendChild(el('span', 'tick read', '\\u2713\\u2713'));
    b.appendChild(meta);
    row.appendChild(b);
    return row;
  }
  function render() {
    if (!state) return;
    document.getElementById('bizname').textContent = state.business.name;
    document.getElementById('biznum').textContent = '+' + state.business.displayPhoneNumber + ' \\u00b7 phone number ID ' + state.business.phoneNumberId;
    document.getElementById('hook').textContent = state.webhook ? 'Webhooks \\u2192 ' + state.webhook : 'No webhook URL configured: replies are only shown here.';
    if (!current && state.conversations.length) current = state.conversations[0].waId;
    var list = document.getElementById('convs'); list.textContent = '';
    state.conversations.forEach(function (c) {
      var li = el('li', c.waId === current ? 'active' : null);
      li.appendChild(el('div', 'who', c.name || ('+' + c.waId)));
      li.appendChild(el('div', 'num', '+' + c.waId + (c.windowOpen ? ' \\u00b7 window open' : '')));
      li.onclick = function () { current = c.waId; render(); };
      list.appendChild(li);
    });
    var c = conv(current), thread = document.getElementById('thread');
    var atBottom = thread.scrollHeight - thread.scrollTop - thread.clientHeight < 40;
    thread.textContent = '';
    if (!c) {
      if (current) { document.getElementById('title').textContent = names[current] || ('+' + current); document.getElementById('sub').textContent = '+' + current + ' \\u00b7 say something to open the 24 h window'; }
      thread.appendChild(el('div', 'empty', 'No messages yet.'));
      return;
    }
    document.getElementById('title').textContent = c.name || ('+' + c.waId);
    var sub = document.getElementById('sub'); sub.textContent = '+' + c.waId;
    sub.appendChild(el('span', 'pill ' + (c.windowOpen ? 'open' : 'closed'), c.windowOpen ? 'window open \\u00b7 ' + left(c.windowMsLeft) + ' left' : 'window closed: templates only'));
    if (c.blocked) sub.appendChild(el('span', 'pill closed', 'blocked by business'));
    c.items.forEach(function (it) { thread.appendChild(bubble(it)); });
    if (c.typing) thread.appendChild(el('div', 'typing', 'business is typing\\u2026'));
    if (atBottom || polls < 2) thread.scrollTop = thread.scrollHeight;
  }
  function poll(force) {
    polls++;
    // A full refresh every 10th poll keeps time-based state (window, typing) current.
    var since = force || polls % 10 === 0 ? '' : '?since=' + version;
    return fetch('/_sandbox/state' + since).then(function (r) { return r.json(); }).then(function (s) {
      if (s.unchanged) return;
      state = s; version = s.version; render();
    }).catch(function () {});
  }
  document.getElementById('composer').onsubmit = function (ev) {
    ev.preventDefault();
    var input = document.getElementById('text'), text = input.value;
    if (!text || !current) return;
    input.value = '';
    post({ from: current, name: nameOf(current) || undefined, text: text });
  };
  document.getElementById('newchat').onsubmit = function (ev) {
    ev.preventDefault();
    var num = document.getElementById('newnum').value.replace(/[^0-9]/g, '');
    if (num.length < 5) return;
    names[num] = document.getElementById('newname').value;
    current = num; document.getElementById('newnum').value = ''; render();
    document.getElementById('text').focus();
  };
  poll(true);
  setInterval(poll, 500);
})();
</script>
</body>
</html>
`;
