// The web chat page: posts the citizen's messages, photos and location, and long-polls for the
// bot's replies. Vanilla JS, no dependencies, so the page works offline on a ward's intranet.
"use strict";

(function () {
  const API = "api/messages"; // relative, so the bot can sit behind a proxy under any path
  const PHOTO_API = "api/photos";
  const TRANSCRIPT_LIMIT = 60; // messages kept across reloads (the widget reloads on every page)
  const MAX_BACKOFF_MS = 15000;
  const POLL_DEADLINE_MS = 35000; // the server answers a long poll within 25 s
  const SEND_DEADLINE_MS = 15000;
  const PHOTO_DEADLINE_MS = 120000; // a phone photo over a slow mobile connection
  const LOCATION_TIMEOUT_MS = 20000;
  const TYPING_TIMEOUT_MS = 60000;
  const LINK_SCHEMES = ["http:", "https:", "tel:", "mailto:"];
  // The page's words (the catalogue's WEB_PAGE), which the server writes into index.html.
  const TEXT = JSON.parse(document.getElementById("page-text").textContent);

  const log = document.getElementById("log");
  const typing = document.getElementById("typing");
  const status = document.getElementById("status");
  const form = document.getElementById("composer");
  const input = document.getElementById("text");
  const attach = document.getElementById("attach");
  const photoInput = document.getElementById("photo");
  const locate = document.getElementById("locate");
  const MAX_PHOTO_BYTES = Number(photoInput.dataset.maxBytes) || 0;

  // localStorage can be blocked (private mode, third-party iframes in some browsers): fall back
  // to memory so the chat still works for this page view.
  const memory = {};
  const store = {
    get(key) {
      try { return window.localStorage.getItem(key); } catch (e) { return memory[key] ?? null; }
    },
    set(key, value) {
      try { window.localStorage.setItem(key, value); } catch (e) { memory[key] = value; }
    },
  };

  function randomId() {
    // crypto.randomUUID needs a secure context; getRandomValues works on plain http too.
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  let session = store.get("wardbot.session");
  if (!session || !/^[A-Za-z0-9_-]{16,64}$/.test(session)) {
    session = randomId();
    store.set("wardbot.session", session);
  }
  let after = Number(store.get("wardbot.after")) || 0;
  let transcript = [];
  try { transcript = JSON.parse(store.get("wardbot.transcript") || "[]"); } catch (e) { transcript = []; }

  function remember(entry) {
    transcript.push(entry);
    transcript = transcript.slice(-TRANSCRIPT_LIMIT);
    store.set("wardbot.transcript", JSON.stringify(transcript));
  }

  // --- rendering -----------------------------------------------------------------------------

  function appendText(parent, text) {
    // Links in the text become anchors; everything else stays text (never innerHTML).
    const pattern = /https?:\/\/[^\s<>"]+[^\s<>".,;:!?)\]]/g;
    let last = 0;
    for (const match of text.matchAll(pattern)) {
      parent.append(text.slice(last, match.index), link(match[0], match[0]));
      last = match.index + match[0].length;
    }
    parent.append(text.slice(last));
  }

  function link(href, label) {
    const a = document.createElement("a");
    a.textContent = label;
    try {
      if (LINK_SCHEMES.includes(new URL(href).protocol)) a.href = href;
    } catch (e) { /* not a URL: shown as plain text */ }
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    return a;
  }

  function scrollDown() {
    log.scrollTop = log.scrollHeight;
  }

  function show(entry) {
    const bubble = document.createElement("div");
    bubble.className = "msg " + entry.who;
    if (entry.spans) {
      // Bold parts become <strong> elements; every word is still text, never HTML.
      for (const span of entry.spans) {
        const target = span.bold ? bubble.appendChild(document.createElement("strong")) : bubble;
        appendText(target, span.text);
      }
    } else {
      appendText(bubble, entry.text);
    }
    log.insertBefore(bubble, typing);
    for (const row of entry.buttons || []) {
      const chips = document.createElement("div");
      chips.className = "chips";
      for (const button of row) {
        let chip;
        if (button.url) {
          chip = link(button.url, button.label);
          chip.className = "chip link";
        } else {
          chip = document.createElement("button");
          chip.type = "button";
          chip.className = "chip";
          chip.textContent = button.label;
          chip.addEventListener("click", () => submit({ callback_data: button.data }, button.label));
        }
        chips.append(chip);
      }
      log.insertBefore(chips, typing);
    }
    scrollDown();
  }

  function notice(text) {
    const p = document.createElement("p");
    p.className = "notice";
    p.textContent = text;
    log.insertBefore(p, typing);
    scrollDown();
  }

  function setStatus(text) {
    status.textContent = text || "";
    status.hidden = !text;
  }

  let typingTimer = 0;
  function setTyping(on) {
    typing.hidden = !on;
    clearTimeout(typingTimer);
    if (on) {
      typingTimer = setTimeout(() => setTyping(false), TYPING_TIMEOUT_MS);
      scrollDown();
    }
  }

  // --- network -------------------------------------------------------------------------------

  // Back-off sleeps end early when the browser reports that the network is back.
  const wakers = new Set();
  window.addEventListener("online", () => wakers.forEach((wakeUp) => wakeUp()));
  function backoff(attempt) {
    return new Promise((resolve) => {
      const done = () => { wakers.delete(done); clearTimeout(timer); resolve(); };
      const timer = setTimeout(done, Math.min(MAX_BACKOFF_MS, 1000 * 2 ** attempt));
      wakers.add(done);
    });
  }

  // A connection that silently died would otherwise hang a request for minutes.
  const deadline = (ms) => (AbortSignal.timeout ? { signal: AbortSignal.timeout(ms) } : {});

  async function poll() {
    for (let failures = 0; ; ) {
      try {
        const response = await fetch(`${API}?session=${session}&after=${after}`, {
          cache: "no-store",
          ...deadline(POLL_DEADLINE_MS),
        });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        const { replies } = await response.json();
        failures = 0;
        setStatus("");
        for (const reply of replies) {
          if (reply.seq <= after) continue;
          after = reply.seq;
          const entry = { who: "bot", text: reply.text, spans: reply.spans, buttons: reply.buttons };
          show(entry);
          remember(entry);
          setTyping(false);
        }
        store.set("wardbot.after", String(after));
      } catch (error) {
        setStatus(TEXT.offline);
        await backoff(failures++);
      }
    }
  }

  // Messages go out one at a time, in order; a message keeps its id across retries so the bot
  // drops a duplicate if a first attempt did arrive.
  const outbox = [];
  let sending = false;

  async function flush() {
    if (sending) return;
    sending = true;
    for (let failures = 0; outbox.length; ) {
      const { photo, ...message } = outbox[0];
      let response = null;
      try {
        if (photo) {
          // The file itself is the body; the server checks what it is, whatever its name.
          const query = new URLSearchParams({ session, message_id: message.message_id });
          response = await fetch(`${PHOTO_API}?${query}`, {
            method: "POST",
            headers: { "Content-Type": photo.type || "application/octet-stream" },
            body: photo,
            ...deadline(PHOTO_DEADLINE_MS),
          });
        } else {
          response = await fetch(API, {
            method: "POST",
            headers: { "Content-Type": "application/json" },
            body: JSON.stringify({ session, ...message }),
            ...deadline(SEND_DEADLINE_MS),
          });
        }
      } catch (error) { /* network down: retried below */ }
      if (response && response.status === 202) {
        outbox.shift();
        failures = 0;
        setStatus("");
      } else if (response && response.status >= 400 && response.status < 500 && response.status !== 429) {
        outbox.shift(); // refused for good (empty, too long, not a photo): say why, do not retry
        setTyping(false);
        const body = await response.json().catch(() => ({}));
        notice(body.message || TEXT.send_failed);
      } else {
        setStatus(TEXT.send_failed);
        await backoff(failures++);
      }
    }
    sending = false;
  }

  function submit(message, shownText) {
    if (shownText) {
      const entry = { who: "me", text: shownText };
      show(entry);
      remember(entry);
    }
    outbox.push({ message_id: randomId(), ...message });
    setTyping(true);
    flush();
  }

  // --- composer ------------------------------------------------------------------------------

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    submit({ text }, text);
    input.value = "";
    grow();
  });

  input.addEventListener("keydown", (event) => {
    // Enter sends, Shift+Enter breaks the line; never while an IME (Telex, VNI) is composing.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  // --- photo and location -------------------------------------------------------------------

  attach.addEventListener("click", () => photoInput.click());

  photoInput.addEventListener("change", () => {
    const file = photoInput.files && photoInput.files[0];
    photoInput.value = ""; // choosing the same file again fires "change" again
    if (!file) return;
    if (MAX_PHOTO_BYTES && file.size > MAX_PHOTO_BYTES) {
      notice(photoInput.dataset.tooBig); // nothing sent; the typed text stays in the box
      return;
    }
    submit({ photo: file }, `${TEXT.photo_sent}: ${file.name}`);
  });

  // The typed address is the fallback wherever the browser gives no position: refused, no GPS,
  // or a page not served over https (browsers only locate secure pages).
  function askForAddress() {
    notice(TEXT.location_failed);
    input.focus();
  }

  locate.addEventListener("click", () => {
    if (!navigator.geolocation) {
      askForAddress();
      return;
    }
    locate.disabled = true;
    navigator.geolocation.getCurrentPosition(
      (position) => {
        locate.disabled = false;
        const { latitude, longitude } = position.coords;
        const shown = `${TEXT.location_sent}: ${latitude.toFixed(5)}, ${longitude.toFixed(5)}`;
        submit({ location: [latitude, longitude] }, shown);
      },
      () => {
        locate.disabled = false;
        askForAddress();
      },
      { enableHighAccuracy: true, timeout: LOCATION_TIMEOUT_MS, maximumAge: 60000 },
    );
  });

  function grow() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight, 140) + "px";
  }
  input.addEventListener("input", grow);

  if (new URLSearchParams(location.search).has("embed")) {
    document.documentElement.classList.add("embed");
    const close = document.getElementById("close");
    close.hidden = false;
    // The widget script on the ward's page listens for this and hides the frame.
    close.addEventListener("click", () => window.parent.postMessage({ type: "wardbot:close" }, "*"));
  }

  for (const entry of transcript) show(entry);
  if (!transcript.length) submit({ text: "/start" }); // greet a new visitor with the menu
  poll();
})();
