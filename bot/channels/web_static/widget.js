// Embeds the ward's chat on any website:
//   <script src="https://BOT-HOST/widget.js" async data-title="TITLE"></script>
// data-title labels the button and the frame; without it they get the default title, which the
// server writes into this script from the catalogue (WEB_TITLE).
// A floating button opens the chat page in an iframe from the bot's own origin, so the page and
// its API stay same-origin and the ward's site needs no CORS or cookies.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__wardbotWidget) return;
  window.__wardbotWidget = true;
  var base = script.src.replace(/widget\.js(\?.*)?$/, "");
  var origin = new URL(base).origin;
  var title = script.getAttribute("data-title") || "{{default_title}}";

  // Styles are set through the DOM rather than a <style> tag, which a host page's CSP may forbid.
  function style(element, rules) {
    for (var name in rules) element.style[name] = rules[name];
  }

  var button = document.createElement("button");
  button.type = "button";
  button.textContent = "💬";
  button.setAttribute("aria-label", title);
  button.setAttribute("aria-expanded", "false");
  button.setAttribute("aria-controls", "wardbot-frame");
  style(button, {
    position: "fixed", right: "16px", bottom: "16px", zIndex: "2147483000",
    width: "56px", height: "56px", borderRadius: "50%", border: "0",
    background: "#b3261e", color: "#fff", fontSize: "26px", cursor: "pointer",
    boxShadow: "0 4px 12px rgba(0,0,0,.3)",
  });

  var frame = null; // created on first open, so visitors who never chat start no session

  function open() {
    if (!frame) {
      frame = document.createElement("iframe");
      frame.id = "wardbot-frame";
      frame.title = title;
      frame.src = base + "?embed=1";
      frame.allow = "geolocation"; // the chat's "share my location" button
      style(frame, {
        position: "fixed", zIndex: "2147483001", border: "0", background: "#fff",
        boxShadow: "0 8px 24px rgba(0,0,0,.3)",
      });
      document.body.appendChild(frame);
    }
    // Phones get the whole screen; larger screens a panel above the button.
    var phone = window.innerWidth < 520;
    style(frame, phone
      ? { display: "block", inset: "0", width: "100%", height: "100%", borderRadius: "0" }
      : { display: "block", inset: "auto", right: "16px", bottom: "84px", width: "380px",
          height: "min(600px, calc(100vh - 110px))", borderRadius: "12px" });
    button.setAttribute("aria-expanded", "true");
  }

  function close() {
    if (frame) frame.style.display = "none";
    button.setAttribute("aria-expanded", "false");
    button.focus();
  }

  button.addEventListener("click", function () {
    if (frame && frame.style.display !== "none") close(); else open();
  });
  window.addEventListener("message", function (event) {
    if (event.origin === origin && event.data && event.data.type === "wardbot:close") close();
  });

  function mount() { document.body.appendChild(button); }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
