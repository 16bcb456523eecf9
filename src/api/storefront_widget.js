// shopmux storefront chat widget: add to the theme with
// <script src="https://YOUR-HOST/storefront/widget.js" data-shop="SHOP_ID" data-proxy="/apps/shopmux" async></script>
// Plain JavaScript, no build step. Customers send text; images are not accepted (SH-IMG-1).
// Customers may rate the service at any time, and when invited (DY-RATE-1).
// Sessions start through the store's app proxy (data-proxy: the proxy's storefront path,
// which the platform forwards to /storefront/SHOP_ID/proxy with its signed query), so a
// signed-in customer is recognised; without data-proxy the widget starts a direct,
// anonymous session (only where the daemon allows it). The previous session's token is
// the proof that continues the same visitor. A typed email is confirmed with a mailed code.
(function () {
  "use strict";
  var script = document.currentScript;
  var shop = script && script.getAttribute("data-shop");
  if (!shop) { return; }
  var proxy = script.getAttribute("data-proxy");
  var base = new URL(script.src).origin;
  var key = "shopmux-chat-" + shop;
  var saved = JSON.parse(localStorage.getItem(key) || "null");
  var socket = null;
  var counter = 0;

  var box = document.createElement("div");
  box.style.cssText = "position:fixed;bottom:16px;right:16px;width:300px;font:14px sans-serif;" +
    "background:#fff;border:1px solid #ccc;border-radius:8px;box-shadow:0 2px 8px rgba(0,0,0,.2);z-index:99999";
  box.innerHTML =
    '<div style="padding:8px;font-weight:bold;border-bottom:1px solid #eee">Chat with us</div>' +
    '<div data-log style="height:220px;overflow:auto;padding:8px"></div>' +
    '<form data-start style="padding:8px">' +
    '<input name="name" placeholder="Your name" style="width:100%;margin-bottom:4px">' +
    '<input name="email" type="email" placeholder="Email (for replies if you leave)" style="width:100%;margin-bottom:4px">' +
    '<button>Start chat</button></form>' +
    '<form data-confirm style="display:none;padding:8px"><input name="code" placeholder="Code sent to your email" ' +
    'style="width:75%"><button>Confirm</button></form>' +
    '<form data-send style="display:none;padding:8px"><input name="text" placeholder="Write a message" ' +
    'style="width:75%"><button>Send</button>' +
    '<button type="button" data-rate style="margin-top:4px">Rate our service</button>' +
    '<button type="button" data-human style="margin-top:4px">Talk to a person</button></form>';
  document.body.appendChild(box);
  var log = box.querySelector("[data-log]");
  var start = box.querySelector("[data-start]");
  var send = box.querySelector("[data-send]");
  var confirm = box.querySelector("[data-confirm]");
  var human = box.querySelector("[data-human]");

  function button(label, onclick) {
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    b.style.cssText = "margin:2px;font-size:12px";
    b.onclick = onclick;
    return b;
  }

  function say(text) {
    if (!socket) { return; }
    counter += 1;
    socket.send(JSON.stringify({ id: Date.now() + "-" + counter, content: { type: "text", text: text } }));
    show("You", text);
  }

  // DY-GREET-1: the shop's greeting (in the customer's language) and FAQ list as the
  // chat opens; a question asks it.
  function greet(greeting) {
    if (!greeting) { return; }
    if (greeting.text) { show("Shop", greeting.text); }
    var row = document.createElement("div");
    row.setAttribute("data-faq", "");
    greeting.faq.forEach(function (q) { row.appendChild(button(q.text, function () { say(q.text); })); });
    log.appendChild(row);
  }

  // DY-BOT-2: related questions, and whether the answer solved it (once).
  function botAnswer(id, actions) {
    var row = document.createElement("div");
    actions.forEach(function (a) { row.appendChild(button(a.title, function () { say(a.content); })); });
    var marks = document.createElement("div");
    marks.setAttribute("data-bot-feedback", id);
    [["Solved", true], ["Not solved", false]].forEach(function (m) {
      marks.appendChild(button(m[0], function () {
        socket.send(JSON.stringify({ type: "bot_feedback", message_id: id, solved: m[1] }));
        marks.textContent = m[1] ? "Thanks!" : "Sorry - ask again or talk to a person.";
      }));
    });
    row.appendChild(marks);
    log.appendChild(row);
    log.scrollTop = log.scrollHeight;
  }

  // DY-BOT-4: a person at any time.
  human.onclick = function () {
    if (socket) { socket.send(JSON.stringify({ type: "human" })); }
  };

  function show(who, text) {
    var line = document.createElement("div");
    line.textContent = who + ": " + text;
    log.appendChild(line);
    log.scrollTop = log.scrollHeight;
  }

  // DY-RATE-1: a rating card, offered at any time ("Rate our service") and when the shop
  // invites: five choices with none preselected (radio buttons: Tab reaches the group,
  // the arrow keys choose), an optional comment, sent only once a score is chosen.
  function ratingCard() {
    var form = document.createElement("form");
    form.setAttribute("data-rating-card", "");
    form.style.cssText = "border:1px solid #ddd;border-radius:6px;padding:6px;margin:4px 0";
    var group = document.createElement("fieldset");
    group.style.cssText = "border:0;margin:0;padding:0";
    var legend = document.createElement("legend");
    legend.textContent = "How was our service?";
    group.appendChild(legend);
    counter += 1;
    var name = "shopmux-score-" + counter;
    for (var n = 1; n <= 5; n += 1) {
      var label = document.createElement("label");
      label.style.cssText = "margin-right:6px;cursor:pointer";
      var choice = document.createElement("input");
      choice.type = "radio";
      choice.name = name;
      choice.value = String(n);
      choice.setAttribute("aria-label", n + " of 5");
      label.appendChild(choice);
      label.appendChild(document.createTextNode(" " + n + "\u2605"));
      group.appendChild(label);
    }
    form.appendChild(group);
    var comment = document.createElement("input");
    comment.name = "comment";
    comment.maxLength = 500;
    comment.placeholder = "Comment (optional)";
    comment.setAttribute("aria-label", "Comment (optional)");
    comment.style.cssText = "width:95%;margin:4px 0";
    form.appendChild(comment);
    var submit = document.createElement("button");
    submit.textContent = "Send rating";
    submit.disabled = true;
    form.appendChild(submit);
    form.onchange = function () { submit.disabled = !form.querySelector("input:checked"); };
    form.onsubmit = function (event) {
      event.preventDefault();
      var chosen = form.querySelector("input:checked");
      if (!chosen || !socket) { return; }
      var content = { type: "rating_card", score: Number(chosen.value) };
      if (comment.value.trim()) { content.comment = comment.value.trim(); }
      counter += 1;
      socket.send(JSON.stringify({ id: Date.now() + "-" + counter, content: content }));
      var done = document.createElement("div");
      done.textContent = "You: rated " + chosen.value + " of 5";
      form.replaceWith(done);
    };
    log.appendChild(form);
    log.scrollTop = log.scrollHeight;
    return form;
  }

  function connect(token) {
    var url = base.replace(/^http/, "ws") + "/storefront/" + shop + "/chat?token=" + encodeURIComponent(token);
    socket = new WebSocket(url);
    socket.onopen = function () {
      // SH-CART-1: tell the daemon which cart is this customer's, so the shop's cart
      // webhooks show up in the conversation (only a signed-in customer's is taken).
      if (!saved || !saved.verified) { return; }
      fetch("/cart.js", { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (cart) {
          if (cart && cart.token) { socket.send(JSON.stringify({ type: "cart", cart_token: cart.token })); }
        })
        .catch(function () {});
    };
    socket.onmessage = function (event) {
      var frame = JSON.parse(event.data);
      if (frame.type === "reply" && frame.content.type === "coupon_card") {
        // SH-DISC-1: a shared code is applied to this store session, so checkout uses it
        // (Shopify's storefront applies a code visited at /discount/CODE).
        show("Shop", "Discount code " + frame.content.code + " (applied at checkout)");
        fetch("/discount/" + encodeURIComponent(frame.content.code), { credentials: "same-origin" });
      } else if (frame.type === "reply" && frame.content.type === "product_list") {
        show("Shop", (frame.content.text ? frame.content.text + " " : "") +
          frame.content.products.map(function (p) { return p.title; }).join(", "));
      } else if (frame.type === "reply" && frame.content.type === "rating_card") {
        show("Shop", "Please rate our service");
        ratingCard();
      } else if (frame.type === "reply" && frame.content.type === "auto_reply") {
        // DY-BOT-2: a bot answer, its related questions and the solved/unsolved buttons.
        show("Shop", frame.content.text);
        botAnswer(frame.id, frame.content.actions || []);
      } else if (frame.type === "reply") {
        show("Shop", frame.content.text || frame.content.url || frame.content.code || "[" + frame.content.type + "]");
      } else if (frame.type === "human_ack") {
        human.disabled = true;
      } else if (frame.type === "error") {
        show("!", frame.error.message);
      }
    };
    var opened = false;
    socket.addEventListener("open", function () { opened = true; });
    socket.onclose = function () {
      // A token the daemon no longer knows: start again (keeping it as the proof).
      if (!opened) { start.style.display = "block"; send.style.display = "none"; return; }
      setTimeout(function () { connect(token); }, 3000);
    };
    start.style.display = "none";
    send.style.display = "block";
  }

  start.onsubmit = function (event) {
    event.preventDefault();
    var zone = null;
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || null; } catch (e) { zone = null; }
    var email = start.email.value || null;
    var body = JSON.stringify({
      name: start.name.value || null, email: email,
      time_zone: zone, utc_offset_minutes: -new Date().getTimezoneOffset(),
      previous_token: (saved && saved.token) || null,
      // DY-GREET-1: the browser's language picks the greeting's version.
      language: navigator.language || null
    });
    var url = proxy ? proxy.replace(/\/$/, "") + "/sessions" : base + "/storefront/" + shop + "/sessions";
    fetch(url, {
      method: "POST", headers: { "content-type": "application/json" }, body: body
    }).then(function (r) { return r.json(); }).then(function (session) {
      if (!session.token) { show("!", (session.error && session.error.message) || "could not start"); return; }
      saved = session;
      localStorage.setItem(key, JSON.stringify(session));
      connect(session.token);
      greet(session.greeting);
      if (email && !session.email_verified) { askCode(session.token, email); }
    });
  };

  function post(path, payload) {
    return fetch(base + "/storefront/" + shop + path, {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(payload)
    }).then(function (r) { return r.json(); });
  }

  // A typed email is only contact data until confirmed with the code mailed to it.
  function askCode(token, email) {
    post("/email", { token: token, email: email }).then(function (sent) {
      if (!sent.email) { return; }
      show("Shop", "We sent a code to " + sent.email + " - enter it to get replies by email.");
      confirm.style.display = "block";
      confirm.onsubmit = function (event) {
        event.preventDefault();
        post("/email/confirm", { token: token, code: confirm.code.value.trim() }).then(function (done) {
          if (done.email) { confirm.style.display = "none"; show("Shop", "Email confirmed."); }
          else { show("!", (done.error && done.error.message) || "wrong code"); }
        });
      };
    });
  }

  send.onsubmit = function (event) {
    event.preventDefault();
    var text = send.text.value.trim();
    if (!text || !socket) { return; }
    say(text);
    send.text.value = "";
  };

  send.querySelector("[data-rate]").onclick = function () {
    var card = ratingCard();
    card.querySelector("input").focus();
  };

  if (saved && saved.token) { connect(saved.token); greet(saved.greeting); }
})();
