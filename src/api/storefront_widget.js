// shopmux storefront chat widget. Add it to the store's theme with
// <script src="https://YOUR-HOST/storefront/widget.js" data-shop="SHOP_ID" data-proxy="/apps/shopmux" async></script>
// One plain script, no build step, no third-party requests; everything it draws lives in
// a shadow root, so the store's theme and the widget do not touch each other.
//
// Sessions start through the store's app proxy (data-proxy: the proxy's storefront path,
// forwarded by the platform to /storefront/SHOP_ID/proxy with its signed query), so a
// signed-in customer is recognised; without data-proxy the widget starts a direct,
// anonymous session (where the daemon allows it). With data-proxy the widget's settings
// and history are read through the proxy too; email codes, the chat socket (app proxies
// carry no WebSockets, and sockets need no CORS) and, without data-proxy, every call go
// to the daemon's origin, which allows the store's origin (CORS: the daemon's
// `storefront.allowed_origins` or the shop's `settings.widget.allowed_origins`). The session token is kept in localStorage, so the
// conversation survives reloads and navigation; the history is read from the daemon
// when the panel opens and after every reconnect (from the last message seen, so
// nothing is missed or shown twice). Customers send text (images are refused, SH-IMG-1)
// and may rate the service at any time (DY-RATE-1). The widget's own texts follow the
// browser's language (English, Spanish, Polish, Chinese; data-lang="es" forces one).
(function () {
  "use strict";
  var script = document.currentScript;
  var shop = script && script.getAttribute("data-shop");
  if (!shop || window.__shopmuxChat) { return; }
  window.__shopmuxChat = true;
  var proxy = script.getAttribute("data-proxy");
  var base = new URL(script.src).origin;
  var api = base + "/storefront/" + encodeURIComponent(shop);
  var key = "shopmux-chat-" + shop;
  var openKey = key + "-open";

  // The widget's own texts, in the customer's browser language.
  var TEXTS = {
    en: ["Chat with us", "Close chat", "Your name", "Email (optional, for replies if you leave)", "Start chat",
      "Write a message", "Send", "You", "Shop", "Assistant", "Sending…", "Sent", "Not sent", "Try again",
      "We can't reach the chat right now. Please check your connection.", "Chat isn't available on this store right now.",
      "Too many attempts. Please wait {n} seconds and try again.", "Connection lost. Reconnecting…",
      "Your previous chat has ended. Start a new one below.", "Earlier messages", "Copy code", "Copied",
      "Applied at checkout", "Discount code", "Rate our service", "How was our service?", "Comment (optional)",
      "Send rating", "Rated {n} of 5", "Talk to a person", "Solved", "Not solved", "Thanks!",
      "Sorry - ask again or talk to a person.", "Code sent to your email", "Confirm",
      "We sent a code to {n} - enter it to get replies by email.", "Email confirmed.", "View product", "Order",
      "Ask us anything - we're here to help.", "new message", "Messages"],
    es: ["Chatea con nosotros", "Cerrar chat", "Tu nombre", "Correo (opcional, para responderte si te vas)",
      "Iniciar chat", "Escribe un mensaje", "Enviar", "Tú", "Tienda", "Asistente", "Enviando…", "Enviado",
      "No enviado", "Reintentar", "No podemos conectar con el chat ahora. Revisa tu conexión.",
      "El chat no está disponible en esta tienda ahora.", "Demasiados intentos. Espera {n} segundos y vuelve a intentarlo.",
      "Conexión perdida. Reconectando…", "Tu chat anterior terminó. Empieza uno nuevo abajo.", "Mensajes anteriores",
      "Copiar código", "Copiado", "Se aplica al pagar", "Código de descuento", "Valora nuestro servicio",
      "¿Qué tal nuestro servicio?", "Comentario (opcional)", "Enviar valoración", "Valoraste {n} de 5",
      "Hablar con una persona", "Resuelto", "No resuelto", "¡Gracias!", "Lo sentimos: pregunta de nuevo o habla con una persona.",
      "Código enviado a tu correo", "Confirmar", "Enviamos un código a {n}: escríbelo para recibir respuestas por correo.",
      "Correo confirmado.", "Ver producto", "Pedido", "Pregúntanos lo que quieras: estamos para ayudarte.",
      "mensaje nuevo", "Mensajes"],
    pl: ["Napisz do nas", "Zamknij czat", "Twoje imię", "E-mail (opcjonalnie, na odpowiedzi, gdy wyjdziesz)",
      "Rozpocznij czat", "Napisz wiadomość", "Wyślij", "Ty", "Sklep", "Asystent", "Wysyłanie…", "Wysłano",
      "Nie wysłano", "Spróbuj ponownie", "Nie możemy teraz połączyć się z czatem. Sprawdź połączenie.",
      "Czat nie jest teraz dostępny w tym sklepie.", "Zbyt wiele prób. Poczekaj {n} s i spróbuj ponownie.",
      "Utracono połączenie. Łączenie ponownie…", "Poprzedni czat się zakończył. Rozpocznij nowy poniżej.",
      "Wcześniejsze wiadomości", "Kopiuj kod", "Skopiowano", "Zostanie zastosowany przy kasie", "Kod rabatowy",
      "Oceń obsługę", "Jak oceniasz naszą obsługę?", "Komentarz (opcjonalnie)", "Wyślij ocenę", "Oceniono na {n} z 5",
      "Porozmawiaj z człowiekiem", "Rozwiązane", "Nierozwiązane", "Dziękujemy!",
      "Przepraszamy - zapytaj ponownie lub porozmawiaj z człowiekiem.", "Kod wysłany na Twój e-mail", "Potwierdź",
      "Wysłaliśmy kod na {n} - wpisz go, by dostawać odpowiedzi e-mailem.", "E-mail potwierdzony.", "Zobacz produkt",
      "Zamówienie", "Zapytaj o cokolwiek - chętnie pomożemy.", "nowa wiadomość", "Wiadomości"],
    zh: ["联系我们", "关闭聊天", "您的名字", "邮箱（可选，离开后用于接收回复）", "开始聊天", "输入消息", "发送", "您", "店铺",
      "助手", "发送中…", "已发送", "未发送", "重试", "暂时无法连接聊天，请检查网络。", "本店暂时无法使用聊天。",
      "尝试次数过多，请等待 {n} 秒后重试。", "连接已断开，正在重新连接…", "您之前的聊天已结束，请在下方开始新的聊天。", "更早的消息",
      "复制优惠码", "已复制", "结账时自动使用", "优惠码", "评价我们的服务", "您对我们的服务满意吗？", "留言（可选）", "提交评价",
      "已评价 {n}/5", "转人工", "已解决", "未解决", "谢谢！", "抱歉，请换个问法或转人工。", "验证码已发送到您的邮箱", "确认",
      "验证码已发送到 {n}，输入后即可通过邮件接收回复。", "邮箱已确认。", "查看商品", "订单", "有任何问题都可以问我们。", "条新消息",
      "消息"]
  };
  var NAMES = ["label", "close", "name", "email", "start", "write", "send", "you", "shop", "bot", "sending", "sent",
    "failed", "retry", "unreachable", "refused", "limited", "reconnecting", "ended", "older", "copy", "copied",
    "applied", "discount", "rate", "how", "comment", "sendRating", "rated", "human", "solved", "unsolved", "thanks",
    "sorry", "code", "confirm", "codeSent", "confirmed", "view", "order", "empty", "unread", "messages"];
  var lang = "en";
  var forced = script.getAttribute("data-lang");
  (forced ? [forced] : navigator.languages || [navigator.language || "en"]).some(function (l) {
    var code = String(l).slice(0, 2).toLowerCase();
    if (TEXTS[code]) { lang = code; return true; }
    return false;
  });
  var T = {};
  NAMES.forEach(function (n, i) { T[n] = TEXTS[lang][i]; });
  function t(name, n) { return T[name].replace("{n}", n); }

  var session = null;
  try { session = JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { session = null; }
  function save() {
    try {
      if (session) { localStorage.setItem(key, JSON.stringify(session)); } else { localStorage.removeItem(key); }
    } catch (e) { /* private mode: the chat lasts this page */ }
  }

  // ---- the shadow root and its parts ----
  var host = document.createElement("div");
  host.setAttribute("data-shopmux-chat", "");
  host.style.cssText = "position:fixed;width:0;height:0;overflow:visible;z-index:2147483000";
  var root = host.attachShadow({ mode: "open" });
  var CSS = ":host{all:initial}*{box-sizing:border-box;font:inherit}" +
    ".w{font:14px/1.4 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1a1a1a}" +
    ".launcher{position:fixed;bottom:20px;right:20px;display:flex;align-items:center;gap:8px;border:0;" +
    "border-radius:999px;padding:12px 18px;background:var(--c);color:var(--f);font-weight:600;cursor:pointer;" +
    "box-shadow:0 4px 14px rgba(0,0,0,.25)}.left .launcher,.left .panel{left:20px;right:auto}" +
    ".launcher:focus-visible,button:focus-visible,a:focus-visible,input:focus-visible,textarea:focus-visible{outline:3px solid #ffbf47;outline-offset:2px}" +
    ".badge{background:#d93025;color:#fff;border-radius:999px;padding:0 7px;font-size:12px}" +
    ".panel{position:fixed;bottom:84px;right:20px;width:370px;height:560px;max-height:calc(100vh - 104px);display:flex;" +
    "flex-direction:column;background:#fff;border-radius:14px;box-shadow:0 8px 30px rgba(0,0,0,.3);overflow:hidden}" +
    ".panel[hidden],[hidden]{display:none!important}" +
    "@media (max-width:480px){.panel,.left .panel{inset:0;width:auto;height:auto;max-height:none;border-radius:0}}" +
    ".head{display:flex;align-items:center;justify-content:space-between;padding:12px 14px;background:var(--c);color:var(--f)}" +
    ".head h2{margin:0;font-size:16px;font-weight:600}.x{background:none;border:0;color:inherit;font-size:22px;line-height:1;cursor:pointer;padding:2px 6px}" +
    ".notice{display:flex;gap:8px;align-items:center;justify-content:space-between;padding:8px 12px;background:#fdecea;color:#8a1c12;font-size:13px}" +
    ".log{flex:1;overflow-y:auto;margin:0;padding:12px;list-style:none;background:#f6f7f9}" +
    ".msg{max-width:85%;margin:0 0 10px;clear:both}.msg .b{padding:8px 11px;border-radius:12px;background:#fff;border:1px solid #e3e5e8;white-space:pre-wrap;overflow-wrap:anywhere}" +
    ".msg.customer{margin-left:auto}.msg.customer .b{background:var(--c);color:var(--f);border-color:transparent}" +
    ".meta{font-size:11px;color:#5f6368;margin:2px 4px;display:flex;gap:6px;flex-wrap:wrap}.customer .meta{justify-content:flex-end}" +
    ".failed .state{color:#b3261e;font-weight:600}" +
    ".card{margin-top:6px;border:1px solid #e3e5e8;border-radius:10px;overflow:hidden;background:#fff;color:#1a1a1a}" +
    ".card img{display:block;width:100%;max-height:160px;object-fit:cover}.card>div{padding:8px 10px}" +
    ".card strong{display:block;font-weight:600}.applied{font-size:12px;color:#137333;margin-top:4px}.price{color:#137333;font-weight:600}.card a{color:#1a56c4}" +
    ".code{font:600 16px ui-monospace,monospace;letter-spacing:1px}" +
    ".chips{display:flex;flex-wrap:wrap;gap:6px;margin:6px 0}" +
    ".chip,.small{border:1px solid #c6c9ce;background:#fff;border-radius:999px;padding:4px 10px;cursor:pointer;font-size:13px;color:#1a1a1a}" +
    ".more{display:block;margin:0 auto 10px}" +
    "form{margin:0}.start{padding:14px;display:flex;flex-direction:column;gap:8px}" +
    "input,textarea{width:100%;border:1px solid #c6c9ce;border-radius:8px;padding:9px 10px;background:#fff;color:#1a1a1a}" +
    ".go{border:0;border-radius:8px;padding:9px 14px;background:var(--c);color:var(--f);font-weight:600;cursor:pointer}" +
    ".compose{display:flex;gap:8px;padding:10px;border-top:1px solid #e3e5e8;align-items:flex-end}" +
    ".compose textarea{resize:none;height:40px;max-height:120px}" +
    ".tools{display:flex;gap:6px;padding:0 10px 10px;flex-wrap:wrap}" +
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}";
  root.innerHTML = "<style>" + CSS + "</style>" +
    '<div class="w"><button class="launcher" type="button" aria-expanded="false" aria-controls="smx-panel">' +
    '<span class="lbl"></span><span class="badge" hidden></span></button>' +
    '<section class="panel" id="smx-panel" role="dialog" aria-labelledby="smx-title" hidden>' +
    '<div class="head"><h2 id="smx-title"></h2><button class="x" type="button">\u00d7</button></div>' +
    '<div class="notice" role="alert" hidden><span></span><button class="small retry" type="button"></button></div>' +
    '<ol class="log" role="log" aria-live="polite" tabindex="0"></ol>' +
    '<form class="start" hidden><label class="sr" for="smx-name"></label><input id="smx-name" name="name" maxlength="64" autocomplete="name">' +
    '<label class="sr" for="smx-email"></label><input id="smx-email" name="email" type="email" maxlength="254" autocomplete="email">' +
    '<button class="go" type="submit"></button></form>' +
    '<form class="confirm compose" hidden><input name="code" inputmode="numeric" maxlength="16"><button class="go" type="submit"></button></form>' +
    '<form class="compose send" hidden><label class="sr" for="smx-text"></label><textarea id="smx-text" name="text" maxlength="4000" rows="1"></textarea>' +
    '<button class="go" type="submit"></button></form>' +
    '<div class="tools" hidden><button class="small rate" type="button"></button><button class="small human" type="button"></button></div>' +
    "</section></div>";
  function q(css) { return root.querySelector(css); }
  var wrap = q(".w"), launcher = q(".launcher"), badge = q(".badge"), panel = q(".panel"), log = q(".log");
  var notice = q(".notice"), retryButton = q(".retry"), startForm = q(".start"), sendForm = q(".send");
  var confirmForm = q(".confirm"), tools = q(".tools"), humanButton = q(".human");
  q(".lbl").textContent = T.label;
  q("#smx-title").textContent = T.label;
  q(".x").setAttribute("aria-label", T.close);
  q("label[for=smx-name]").textContent = T.name;
  startForm.name.placeholder = T.name;
  q("label[for=smx-email]").textContent = T.email;
  startForm.email.placeholder = T.email;
  startForm.querySelector("button").textContent = T.start;
  q("label[for=smx-text]").textContent = T.write;
  sendForm.text.placeholder = T.write;
  sendForm.querySelector("button").textContent = T.send;
  confirmForm.code.placeholder = T.code;
  confirmForm.code.setAttribute("aria-label", T.code);
  confirmForm.querySelector("button").textContent = T.confirm;
  q(".rate").textContent = T.rate;
  humanButton.textContent = T.human;
  retryButton.textContent = T.retry;
  log.setAttribute("aria-label", T.messages);
  wrap.style.setProperty("--c", "#1f5fbf");
  wrap.style.setProperty("--f", "#fff");
  (document.body || document.documentElement).appendChild(host);

  // ---- the daemon ----
  // A call's outcome: {ok, status, data, retry}; status 0 when the daemon is unreachable.
  function call(url, body) {
    var options = body === undefined ? {} :
      { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
    return fetch(url, options).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        return { ok: r.ok, status: r.status, data: data, retry: Number(r.headers.get("retry-after")) || 0 };
      });
    }, function () { return { ok: false, status: 0, data: {} }; });
  }
  // A failed call in the customer's words.
  function problem(res) {
    if (res.status === 0 || res.status >= 500) { return T.unreachable; }
    if (res.status === 429) {
      var m = /(\d+) s/.exec((res.data.error && res.data.error.message) || "");
      return t("limited", res.retry || (m ? m[1] : 30));
    }
    if (res.status === 404) { return T.refused; }
    return (res.data.error && res.data.error.message) || T.unreachable;
  }
  var retryAction = null;
  function showProblem(text, retry) {
    notice.firstChild.textContent = text;
    retryAction = retry;
    retryButton.hidden = !retry;
    notice.hidden = false;
  }
  function hideProblem() { notice.hidden = true; retryAction = null; }
  retryButton.onclick = function () { var r = retryAction; hideProblem(); if (r) { r(); } };

  // ---- the launcher and the panel ----
  var unread = 0;
  // Opens or closes the panel; `quiet` (reopened after navigation) leaves the focus on
  // the page, where the customer's keyboard expects it.
  function setOpen(open, quiet) {
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", String(open));
    try { sessionStorage.setItem(openKey, open ? "1" : ""); } catch (e) { /* no storage */ }
    if (!open) { launcher.focus(); return; }
    unread = 0;
    badge.hidden = true;
    launcher.removeAttribute("aria-label");
    if (!quiet) { (session ? sendForm.text : startForm.name).focus({ preventScroll: true }); }
    if (session && !loaded) { catchUp(); }
  }
  launcher.onclick = function () { setOpen(panel.hidden); };
  q(".x").onclick = function () { setOpen(false); };
  panel.addEventListener("keydown", function (e) { if (e.key === "Escape") { setOpen(false); } });
  function contrast(hex) {
    var h = hex.length === 4 ? hex.replace(/[0-9a-f]/gi, "$&$&").slice(1) : hex.slice(1);
    var n = parseInt(h, 16);
    var l = 0.299 * (n >> 16) + 0.587 * ((n >> 8) & 255) + 0.114 * (n & 255);
    return l > 160 ? "#1a1a1a" : "#fff";
  }
  var greeting = null;
  // Through the app proxy (same origin as the store) when there is one, else the daemon's.
  var reads = proxy ? proxy.replace(/\/$/, "") : api;
  call(reads + "/widget?language=" + encodeURIComponent(navigator.language || "")).then(function (res) {
    if (!res.ok) { return; }
    var s = res.data;
    if (s.position === "bottom_left") { wrap.classList.add("left"); }
    if (s.color) { wrap.style.setProperty("--c", s.color); wrap.style.setProperty("--f", contrast(s.color)); }
    if (s.label) { q(".lbl").textContent = s.label; q("#smx-title").textContent = s.label; }
    greeting = s.greeting || null;
    showGreeting();
  });

  // ---- messages ----
  var byKey = {};
  var lastCursor = null, firstCursor = null, loaded = false;
  var timeFormat = new Intl.DateTimeFormat(navigator.language || "en", { hour: "numeric", minute: "2-digit" });
  var dayFormat = new Intl.DateTimeFormat(navigator.language || "en",
    { month: "short", day: "numeric", hour: "numeric", minute: "2-digit" });
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = text; }
    return e;
  }
  function safeUrl(u) {
    try { var url = new URL(u, location.href); return /^https?:$/.test(url.protocol) ? url.href : null; } catch (e) { return null; }
  }
  function chip(label, onclick) { var b = el("button", "chip", label); b.type = "button"; b.onclick = onclick; return b; }
  function product(p) {
    var card = el("div", "card");
    card.setAttribute("data-card", "product");
    var image = p.image_url && safeUrl(p.image_url);
    if (image) { var img = el("img"); img.src = image; img.alt = ""; img.loading = "lazy"; card.appendChild(img); }
    var body = el("div");
    body.appendChild(el("strong", "", p.title));
    if (p.price) { body.appendChild(el("span", "price", p.price)); body.appendChild(document.createTextNode(" ")); }
    var link = p.url && safeUrl(p.url);
    if (link) { var a = el("a", "", T.view); a.href = link; a.target = "_top"; body.appendChild(a); }
    card.appendChild(body);
    return card;
  }
  function coupon(c, live) {
    var card = el("div", "card");
    card.setAttribute("data-card", "discount");
    var body = el("div");
    body.appendChild(el("strong", "", c.title || T.discount));
    var code = el("span", "code", c.code);
    body.appendChild(code);
    // Copied, or (no clipboard here) the code selected for the customer to copy.
    var copy = chip(T.copy, function () {
      var select = function () { var range = document.createRange(); range.selectNodeContents(code); var s = getSelection(); s.removeAllRanges(); s.addRange(range); };
      var done = function () { copy.textContent = T.copied; };
      if (navigator.clipboard) { navigator.clipboard.writeText(c.code).then(done, select); } else { select(); }
    });
    copy.className = "small";
    copy.setAttribute("aria-label", T.copy + " " + c.code);
    body.appendChild(document.createTextNode(" "));
    body.appendChild(copy);
    body.appendChild(el("div", "applied", T.applied));
    card.appendChild(body);
    // SH-DISC-1: a shared code is applied to this store session, so checkout uses it
    // (the store applies a code visited at /discount/CODE; same origin, never a third party).
    if (live) { fetch("/discount/" + encodeURIComponent(c.code), { credentials: "same-origin" }).catch(function () {}); }
    return card;
  }
  function content(c, id, from, live) {
    var box = el("div");
    var text = c.text || (c.type === "emoji" ? c.code : null);
    if (text) { box.appendChild(el("div", "b", text)); }
    if (c.type === "product_card") { box.appendChild(product(c)); }
    if (c.type === "product_list") { c.products.forEach(function (p) { box.appendChild(product(p)); }); }
    if (c.type === "coupon_card") { box.appendChild(coupon(c, live)); }
    if (c.type === "image" && safeUrl(c.url)) {
      var card = el("div", "card"), img = el("img"); img.src = safeUrl(c.url); img.alt = ""; card.appendChild(img); box.appendChild(card);
    }
    if (c.type === "order_card") { box.appendChild(el("div", "b", T.order + " " + c.order_id + (c.status ? " · " + c.status : ""))); }
    if (c.type === "rating_card" && c.score) { box.appendChild(el("div", "b", t("rated", c.score) + (c.comment ? " - " + c.comment : ""))); }
    if (c.type === "rating_card" && !c.score && from !== "customer") { box.appendChild(ratingCard()); }
    if (c.type === "auto_reply") { box.appendChild(botActions(id, c.actions || [])); }
    if (!box.firstChild) { box.appendChild(el("div", "b", "[" + c.type + "]")); }
    return box;
  }
  // Who wrote a message, when, and (the customer's own) where it is on its way.
  function metaOf(m) {
    var meta = el("div", "meta");
    var who = m.from === "customer" ? T.you : m.from === "agent" ? (m.name || T.shop) : T.bot;
    meta.appendChild(el("span", "who", who));
    var when = new Date(m.at);
    var time = el("time", "", (Date.now() - m.at > 86400000 ? dayFormat : timeFormat).format(when));
    time.dateTime = when.toISOString();
    meta.appendChild(time);
    if (m.from === "customer") {
      var state = el("span", "state", T[m.state || "sent"]);
      state.setAttribute("data-state", m.state || "sent");
      meta.appendChild(state);
      if (m.state === "failed") { meta.appendChild(chip(T.retry, function () { resend(m); })); }
      if (m.why) { meta.appendChild(el("span", "why", m.why)); }
    }
    return meta;
  }
  // Places a message by time; one with the same key is updated in place (its card kept
  // as it is when the content did not change, so a half-filled form keeps its focus).
  function put(m) {
    var old = byKey[m.key];
    var json = JSON.stringify(m.content);
    var className = "msg " + m.from + (m.state === "failed" ? " failed" : "");
    if (old && old.parentNode === log && old.json === json) {
      old.className = className;
      old.m = m;
      old.replaceChild(metaOf(m), old.lastChild);
      return;
    }
    var li = el("li", className);
    li.setAttribute("data-key", m.key);
    li.m = m;
    li.json = json;
    var body;
    // A card this widget cannot draw must not take the conversation down with it.
    try { body = content(m.content, m.id, m.from, m.live); } catch (e) { body = el("div", "b", "[" + m.content.type + "]"); }
    li.appendChild(body);
    li.appendChild(metaOf(m));
    var keep = old && old.parentNode === log;
    if (keep) { old.replaceWith(li); } else {
      var after = null;
      for (var n = log.lastElementChild; n; n = n.previousElementSibling) {
        if (!n.m || n.m.at <= m.at) { break; }
        after = n;
      }
      log.insertBefore(li, after);
    }
    byKey[m.key] = li;
    if (!keep) { log.scrollTop = log.scrollHeight; }
  }
  function fromHistory(item) {
    return {
      key: item.client_id ? "c:" + item.client_id : "m:" + item.id, id: item.id, from: item.from,
      name: item.sender_name, content: item.content, at: item.sent_at_ms, state: "sent"
    };
  }
  function notify() {
    if (!panel.hidden) { return; }
    unread += 1;
    badge.textContent = unread;
    badge.hidden = false;
    launcher.setAttribute("aria-label", q(".lbl").textContent + ", " + unread + " " + T.unread);
  }

  // The history: the latest page when the panel first opens, then everything after the
  // last message seen (after a reconnect, or when a reply arrives).
  var fetching = false, again = false;
  function catchUp() {
    if (!session) { return; }
    if (fetching) { again = true; return; }
    fetching = true;
    var body = { token: session.token, limit: lastCursor ? 100 : 50 };
    if (lastCursor) { body.after = lastCursor; }
    call(reads + "/history", body).then(function (res) {
      fetching = false;
      if (!session) { return; }
      if (res.status === 404) { return ended(); }
      if (!res.ok) { return showProblem(problem(res), catchUp); }
      var items = res.data.items || [];
      items.forEach(function (i) {
        if (i.client_id) { delete pending()[i.client_id]; }
        put(fromHistory(i));
      });
      save();
      if (items.length) {
        lastCursor = items[items.length - 1].cursor;
        if (!firstCursor) { firstCursor = items[0].cursor; }
      }
      if (!loaded && res.data.more) { olderButton(); }
      loaded = true;
      if (again || (body.after && res.data.more)) { again = false; catchUp(); }
    });
  }
  function olderButton() {
    var b = chip(T.older, function () {
      call(reads + "/history", { token: session.token, before: firstCursor, limit: 50 }).then(function (res) {
        if (!res.ok) { return showProblem(problem(res), function () { b.click(); }); }
        b.remove();
        var items = res.data.items || [];
        items.forEach(function (i) { put(fromHistory(i)); });
        if (items.length) { firstCursor = items[0].cursor; }
        if (res.data.more) { olderButton(); }
        log.scrollTop = 0;
      });
    });
    b.className = "small more";
    log.insertBefore(b, log.firstChild);
  }
  function ended() {
    session = null;
    save();
    closeSocket();
    showProblem(T.ended, null);
    showForms();
  }

  // ---- the chat socket ----
  var socket = null, attempts = 0, timer = null, counter = 0;
  function closeSocket() {
    clearTimeout(timer);
    if (socket) { var s = socket; socket = null; s.onclose = null; s.close(); }
  }
  function connect() {
    closeSocket();
    if (!session) { return; }
    var s = new WebSocket(api.replace(/^http/, "ws") + "/chat?token=" + encodeURIComponent(session.token));
    var opened = false;
    socket = s;
    s.onopen = function () {
      opened = true;
      attempts = 0;
      hideProblem();
      if (loaded || !panel.hidden) { catchUp(); }
      flush();
      shareCart(s);
    };
    s.onmessage = function (event) { receive(JSON.parse(event.data)); };
    s.onclose = function () {
      if (socket !== s) { return; }
      socket = null;
      if (opened) { return later(); }
      // Never opened: a session the daemon no longer knows, or the daemon is away.
      call(reads + "/history", { token: session.token, limit: 1 }).then(function (res) {
        if (res.status === 404) { ended(); } else { later(); }
      });
    };
  }
  // Reconnects with a growing, jittered wait (1 s doubling to 15 s); "try again" at once.
  function later() {
    attempts += 1;
    var wait = Math.min(15000, 1000 * Math.pow(2, attempts - 1)) * (0.8 + Math.random() * 0.4);
    showProblem(T.reconnecting, connect);
    clearTimeout(timer);
    timer = setTimeout(connect, wait);
  }
  function send(frame) {
    if (socket && socket.readyState === 1) { socket.send(JSON.stringify(frame)); return true; }
    return false;
  }
  function receive(f) {
    if (f.type === "reply") {
      var from = f.content.type === "auto_reply" ? "bot" : "agent";
      put({ key: "m:" + f.id, id: f.id, from: from, content: f.content, at: Date.now(), live: true });
      notify();
      catchUp();
    } else if (f.type === "ack" && byKey["c:" + f.id]) {
      var m = byKey["c:" + f.id].m;
      delete pending()[f.id];
      save();
      m.state = "sent";
      put(m);
    } else if (f.type === "error" && f.id && byKey["c:" + f.id]) {
      var failed = byKey["c:" + f.id].m;
      delete pending()[f.id];
      save();
      failed.state = "failed";
      failed.why = f.error.message;
      put(failed);
    } else if (f.type === "error" && f.error.code === "rate_limited") {
      showProblem(t("limited", (/(\d+) s/.exec(f.error.message) || [0, 30])[1]), null);
    } else if (f.type === "human_ack") {
      humanButton.disabled = true;
    }
  }

  // ---- the customer's messages ----
  // Unacknowledged messages survive a reload; sent again with the same id, the daemon
  // stores each once.
  function pending() { session.pending = session.pending || {}; return session.pending; }
  function say(c) {
    counter += 1;
    var id = Date.now().toString(36) + "-" + counter + "-" + Math.random().toString(36).slice(2, 8);
    var m = { key: "c:" + id, clientId: id, from: "customer", content: c, at: Date.now(), state: "sending" };
    pending()[id] = { content: c, at: m.at };
    save();
    put(m);
    transmit(m);
  }
  function transmit(m) {
    if (!send({ id: m.clientId, content: m.content })) { return; }
    setTimeout(function () {
      if (m.state === "sending" && byKey[m.key] && byKey[m.key].m === m) { m.state = "failed"; put(m); }
    }, 15000);
  }
  function resend(m) { m.state = "sending"; m.why = null; pending()[m.clientId] = { content: m.content, at: m.at }; save(); put(m); transmit(m); }
  function flush() {
    if (!session) { return; }
    Object.keys(pending()).forEach(function (id) {
      var p = pending()[id], li = byKey["c:" + id];
      var m = li ? li.m : { key: "c:" + id, clientId: id, from: "customer", content: p.content, at: p.at };
      if (m.state === "sent") { delete pending()[id]; save(); return; }
      m.state = "sending";
      put(m);
      transmit(m);
    });
  }
  sendForm.onsubmit = function (event) {
    event.preventDefault();
    var text = sendForm.text.value.trim();
    if (!text || !session) { return; }
    say({ type: "text", text: text });
    sendForm.text.value = "";
  };
  sendForm.text.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); sendForm.requestSubmit(); }
  });

  // ---- the greeting, the bot and ratings ----
  function showGreeting() {
    var old = q(".greeting");
    if (old) { old.remove(); }
    var text = (greeting && greeting.text) || T.empty;
    var li = el("li", "msg bot greeting");
    li.appendChild(el("div", "b", text));
    var faq = el("div", "chips");
    // DY-GREET-1: the shop's FAQ list; a question asks it.
    ((greeting && greeting.faq) || []).forEach(function (item) {
      faq.appendChild(chip(item.text, function () { if (session) { say({ type: "text", text: item.text }); } }));
    });
    faq.hidden = !session;
    li.appendChild(faq);
    log.insertBefore(li, log.firstChild);
  }
  // DY-BOT-2: related questions, and whether the answer solved it.
  function botActions(id, actions) {
    var row = el("div", "chips");
    actions.forEach(function (a) { row.appendChild(chip(a.title, function () { say({ type: "text", text: a.content }); })); });
    [[T.solved, true], [T.unsolved, false]].forEach(function (mark) {
      row.appendChild(chip(mark[0], function () {
        send({ type: "bot_feedback", message_id: id, solved: mark[1] });
        row.replaceChildren(el("span", "", mark[1] ? T.thanks : T.sorry));
      }));
    });
    return row;
  }
  // DY-BOT-4: a person at any time.
  humanButton.onclick = function () { send({ type: "human" }); };
  // DY-RATE-1: five choices with none preselected (radio buttons: Tab reaches the group,
  // the arrow keys choose), an optional comment, sent only once a score is chosen.
  function ratingCard() {
    var form = el("form", "card");
    form.setAttribute("data-rating-card", "");
    var group = el("fieldset");
    group.style.cssText = "border:0;margin:0;padding:8px 10px";
    group.appendChild(el("legend", "", T.how));
    counter += 1;
    for (var n = 1; n <= 5; n += 1) {
      var label = el("label");
      label.style.marginRight = "6px";
      var choice = el("input");
      choice.type = "radio";
      choice.name = "score-" + counter;
      choice.value = String(n);
      choice.style.width = "auto";
      choice.setAttribute("aria-label", n + " / 5");
      label.appendChild(choice);
      label.appendChild(document.createTextNode(" " + n + "\u2605"));
      group.appendChild(label);
    }
    var comment = el("input");
    comment.maxLength = 500;
    comment.placeholder = T.comment;
    comment.setAttribute("aria-label", T.comment);
    group.appendChild(comment);
    var submit = el("button", "go", T.sendRating);
    submit.disabled = true;
    group.appendChild(submit);
    form.appendChild(group);
    form.onchange = function () { submit.disabled = !form.querySelector("input:checked"); };
    form.onsubmit = function (event) {
      event.preventDefault();
      var chosen = form.querySelector("input:checked");
      if (!chosen) { return; }
      var c = { type: "rating_card", score: Number(chosen.value) };
      if (comment.value.trim()) { c.comment = comment.value.trim(); }
      form.remove();
      say(c);
    };
    return form;
  }
  q(".rate").onclick = function () {
    var li = el("li", "msg bot");
    li.m = { at: Date.now() };
    li.appendChild(ratingCard());
    log.appendChild(li);
    log.scrollTop = log.scrollHeight;
    li.querySelector("input").focus();
  };

  // SH-CART-1: tell the daemon which cart is this customer's (only a signed-in one's is taken).
  function shareCart(s) {
    if (!session || !session.verified) { return; }
    fetch("/cart.js", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (cart) { if (cart && cart.token && socket === s) { send({ type: "cart", cart_token: cart.token }); } })
      .catch(function () {});
  }

  // ---- starting a chat ----
  function showForms() {
    startForm.hidden = !!session;
    sendForm.hidden = !session;
    tools.hidden = !session;
    var faq = q(".greeting .chips");
    if (faq) { faq.hidden = !session; }
  }
  function start() {
    var zone = null;
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || null; } catch (e) { zone = null; }
    var email = startForm.email.value.trim() || null;
    var previous = (function () { try { return JSON.parse(localStorage.getItem(key + "-previous") || "null"); } catch (e) { return null; } })();
    var body = {
      name: startForm.name.value.trim() || null, email: email, time_zone: zone,
      utc_offset_minutes: -new Date().getTimezoneOffset(), previous_token: previous,
      // DY-GREET-1: the browser's language picks the greeting's version.
      language: navigator.language || null
    };
    var url = proxy ? proxy.replace(/\/$/, "") + "/sessions" : api + "/sessions";
    var button = startForm.querySelector("button");
    button.disabled = true;
    call(url, body).then(function (res) {
      button.disabled = false;
      if (!res.ok || !res.data.token) { return showProblem(problem(res), start); }
      hideProblem();
      session = { token: res.data.token, verified: res.data.verified, pending: {} };
      save();
      try { localStorage.setItem(key + "-previous", JSON.stringify(res.data.token)); } catch (e) { /* none */ }
      if (res.data.greeting) { greeting = res.data.greeting; showGreeting(); }
      showForms();
      sendForm.text.focus();
      loaded = true;
      connect();
      if (email && !res.data.email_verified) { askCode(email); }
    });
  }
  startForm.onsubmit = function (event) { event.preventDefault(); start(); };

  // A typed email is only contact data until confirmed with the code mailed to it.
  function askCode(email) {
    call(api + "/email", { token: session.token, email: email }).then(function (res) {
      if (!res.ok) { return; }
      put({ key: "n:code", from: "bot", content: { type: "text", text: t("codeSent", res.data.email) }, at: Date.now() });
      confirmForm.hidden = false;
    });
  }
  confirmForm.onsubmit = function (event) {
    event.preventDefault();
    call(api + "/email/confirm", { token: session.token, code: confirmForm.code.value.trim() }).then(function (res) {
      if (!res.ok) { return showProblem(problem(res), null); }
      confirmForm.hidden = true;
      put({ key: "n:confirmed", from: "bot", content: { type: "text", text: T.confirmed }, at: Date.now() });
    });
  };

  showForms();
  showGreeting();
  if (session) { connect(); }
  var reopen = false;
  try { reopen = sessionStorage.getItem(openKey) === "1"; } catch (e) { reopen = false; }
  if (reopen) { setOpen(true, true); }
})();
