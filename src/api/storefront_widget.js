// shopmux storefront chat widget: add to the theme with
// <script src="https://YOUR-HOST/storefront/widget.js" data-shop="SHOP_ID" async></script>
// Plain JavaScript, no build step. Customers send text; images are not accepted (SH-IMG-1).
(function () {
  "use strict";
  var script = document.currentScript;
  var shop = script && script.getAttribute("data-shop");
  if (!shop) { return; }
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
    '<form data-send style="display:none;padding:8px"><input name="text" placeholder="Write a message" ' +
    'style="width:75%"><button>Send</button></form>';
  document.body.appendChild(box);
  var log = box.querySelector("[data-log]");
  var start = box.querySelector("[data-start]");
  var send = box.querySelector("[data-send]");

  function show(who, text) {
    var line = document.createElement("div");
    line.textContent = who + ": " + text;
    log.appendChild(line);
    log.scrollTop = log.scrollHeight;
  }

  function connect(token) {
    var url = base.replace(/^http/, "ws") + "/storefront/" + shop + "/chat?token=" + encodeURIComponent(token);
    socket = new WebSocket(url);
    socket.onopen = function () {
      // SH-CART-1: tell the daemon which cart is this customer's, so the shop's cart
      // webhooks show up in the conversation.
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
      } else if (frame.type === "reply") {
        show("Shop", frame.content.text || frame.content.url || frame.content.code || "[" + frame.content.type + "]");
      } else if (frame.type === "error") {
        show("!", frame.error.message);
      }
    };
    socket.onclose = function () { setTimeout(function () { connect(token); }, 3000); };
    start.style.display = "none";
    send.style.display = "block";
  }

  start.onsubmit = function (event) {
    event.preventDefault();
    var zone = null;
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || null; } catch (e) { zone = null; }
    var body = JSON.stringify({
      name: start.name.value || null, email: start.email.value || null,
      time_zone: zone, utc_offset_minutes: -new Date().getTimezoneOffset()
    });
    fetch(base + "/storefront/" + shop + "/sessions", {
      method: "POST", headers: { "content-type": "application/json" }, body: body
    }).then(function (r) { return r.json(); }).then(function (session) {
      if (!session.token) { show("!", (session.error && session.error.message) || "could not start"); return; }
      localStorage.setItem(key, JSON.stringify(session));
      connect(session.token);
    });
  };

  send.onsubmit = function (event) {
    event.preventDefault();
    var text = send.text.value.trim();
    if (!text || !socket) { return; }
    counter += 1;
    socket.send(JSON.stringify({ id: Date.now() + "-" + counter, content: { type: "text", text: text } }));
    show("You", text);
    send.text.value = "";
  };

  if (saved && saved.token) { connect(saved.token); }
})();
