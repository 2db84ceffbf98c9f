"use strict";
// Sandbox chat page: renders what the bot does (from Bot API text + entities, never raw HTML)
// and lets a person act as the merchant and as staff. Live updates come from SSE.
(() => {
  const API = "/sandbox/api";
  const SECRET = document.querySelector('meta[name="sandbox-secret"]').content;
  const query = new URLSearchParams(location.search);
  const S = {
    bot: { id: 0, first_name: "Bot" },
    users: new Map(),
    chats: new Map(),
    messages: new Map(), // chat id -> Map(message id -> Message)
    keyboards: new Map(), // chat id -> ReplyKeyboardMarkup | null
    hiddenKeyboards: new Set(), // one_time_keyboard already used
    pendingQueries: new Map(), // callback query id -> button element
    answeredQueries: new Set(),
    seq: 0,
    merchantId: Number(query.get("merchant")) || 10001,
    staffId: Number(query.get("staff")) || 20001,
    groupId: null,
    defaults: {},
  };
  const ACTIONS = {
    typing: "正在输入…",
    upload_photo: "正在发送图片…",
    upload_document: "正在发送文件…",
    choose_sticker: "正在选择贴纸…",
  };

  // ---------------------------------------------------------------- helpers
  const $ = (root, id) => root.querySelector(`[data-testid="${id}"]`);
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children) if (child !== null && child !== undefined) node.append(child);
    return node;
  }
  function safeHref(url) {
    return /^(https?:|tg:|mailto:)/i.test(url || "") ? url : null;
  }
  function hhmm(unix) {
    const d = new Date(unix * 1000);
    return `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
  }
  function humanSize(bytes) {
    if (!bytes && bytes !== 0) return "";
    if (bytes < 1024) return `${bytes} B`;
    if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
    return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  }
  function fullName(user) {
    return user ? [user.first_name, user.last_name].filter(Boolean).join(" ") : "";
  }
  function summary(msg) {
    if (!msg) return "";
    if (msg.text) return msg.text;
    const prefix = msg.photo ? "[图片] " : msg.document ? `[文件] ${msg.document.file_name || ""} ` : "";
    if (msg.caption || prefix) return (prefix + (msg.caption || "")).trim();
    for (const [key, label] of [["sticker", "[贴纸]"], ["voice", "[语音]"], ["video", "[视频]"],
      ["audio", "[音频]"], ["contact", "[联系人]"], ["location", "[位置]"], ["animation", "[动图]"]]) {
      if (msg[key]) return label;
    }
    return "[消息]";
  }
  async function api(path, body) {
    // The control API answers only calls that carry this run's secret (served in the page).
    let init = { headers: { "X-Sandbox-Secret": SECRET } };
    if (body instanceof FormData) init = { ...init, method: "POST", body };
    else if (body !== undefined) {
      init = {
        method: "POST",
        headers: { ...init.headers, "Content-Type": "application/json" },
        body: JSON.stringify(body),
      };
    }
    const res = await fetch(API + path, init);
    if (res.status === 403) throw new Error("沙盒已重启或页面已过期，请刷新页面");
    const data = await res.json().catch(() => ({ ok: false, error: res.statusText }));
    if (!data.ok) throw new Error(data.error || res.statusText);
    return data.result;
  }

  // ---------------------------------------------------------------- entities -> DOM
  function entityNode(entity, text, pane) {
    const slice = text.slice(entity.offset, entity.end);
    switch (entity.type) {
      case "bold": return el("b");
      case "italic": return el("i");
      case "underline": return el("u");
      case "strikethrough": return el("s");
      case "code": return el("code");
      case "pre": {
        const code = el("code", { class: entity.language ? `language-${entity.language}` : null });
        const pre = el("pre", { "data-language": entity.language || null }, code);
        pre.contentTarget = code;
        return pre;
      }
      case "spoiler": return el("span", { class: "spoiler", title: "点击显示", onclick: (e) => e.currentTarget.classList.add("revealed") });
      case "blockquote": return el("blockquote");
      case "expandable_blockquote":
        return el("blockquote", { class: "expandable", onclick: (e) => e.currentTarget.classList.toggle("open") });
      case "text_link": {
        const href = safeHref(entity.url);
        return href ? el("a", { href, target: "_blank", rel: "noopener noreferrer", title: href }) : el("span");
      }
      case "url": {
        const href = safeHref(/^[a-z]+:/i.test(slice) ? slice : `http://${slice}`);
        return href ? el("a", { href, target: "_blank", rel: "noopener noreferrer" }) : el("span");
      }
      case "email": return el("a", { href: `mailto:${slice}` });
      case "mention": case "text_mention": return el("span", { class: "mention", title: entity.user ? `user ${entity.user.id}` : null });
      case "hashtag": case "cashtag": return el("span", { class: "hashtag" });
      case "bot_command":
        return el("span", { class: "command", role: "button", title: "点击发送", onclick: () => pane && sendText(pane, slice) });
      default: return el("span", { class: `entity-${entity.type}` });
    }
  }
  // Entities from Telegram nest properly; anything overlapping its parent is clipped to it.
  function renderText(text, entities, pane) {
    const list = (entities || [])
      .filter((e) => e.length > 0 && e.offset >= 0 && e.offset < text.length)
      .map((e, i) => ({ ...e, end: Math.min(e.offset + e.length, text.length), i }))
      .sort((a, b) => a.offset - b.offset || b.end - a.end || a.i - b.i);
    const BLOCKS = new Set(["pre", "blockquote", "expandable_blockquote"]);
    let afterBlock = false;
    const appendText = (parent, from, to) => {
      // A block already ends its line, so the "\n" right after it must not add an empty one.
      if (afterBlock && text[from] === "\n") from += 1;
      afterBlock = false;
      if (to > from) parent.append(text.slice(from, to));
    };
    const build = (parent, start, end, items) => {
      let pos = start;
      let idx = 0;
      while (idx < items.length) {
        const entity = { ...items[idx], offset: Math.max(items[idx].offset, pos) };
        if (entity.offset > pos) appendText(parent, pos, entity.offset);
        const children = [];
        let j = idx + 1;
        while (j < items.length && items[j].offset < entity.end) {
          children.push({ ...items[j], end: Math.min(items[j].end, entity.end) });
          j++;
        }
        const node = entityNode(entity, text, pane);
        afterBlock = false;
        build(node.contentTarget || node, entity.offset, entity.end, children);
        parent.append(node);
        afterBlock = BLOCKS.has(entity.type);
        pos = Math.max(pos, entity.end);
        idx = j;
      }
      if (pos < end) appendText(parent, pos, end);
    };
    const root = el("div", { class: "text", "data-testid": "message-text" });
    build(root, 0, text.length, list);
    return root;
  }

  // ---------------------------------------------------------------- panes
  function makePane(role) {
    const root = document.querySelector(`[data-pane="${role}"]`);
    return {
      role, root,
      list: $(root, "message-list"), input: $(root, "composer-input"), form: $(root, "composer"),
      file: $(root, "file-input"), status: $(root, "chat-status"), toast: $(root, "toast"),
      keyboard: $(root, "reply-keyboard"), replyBar: $(root, "reply-bar"), actingAs: $(root, "acting-as"),
      replyTo: null, typingTimer: null, toastTimer: null, unread: 0,
    };
  }
  const panes = { merchant: makePane("merchant"), staff: makePane("staff") };
  const langSelect = $(panes.merchant.root, "language-select");
  const groupSelect = $(panes.staff.root, "group-select");

  const paneChatId = (pane) => (pane.role === "merchant" ? S.merchantId : S.groupId);
  const paneUserId = (pane) => (pane.role === "merchant" ? S.merchantId : S.staffId);
  const panesFor = (chatId) => Object.values(panes).filter((p) => paneChatId(p) === chatId);
  const isVisible = (pane) => getComputedStyle(pane.root).display !== "none";

  function userPayload(pane) {
    const id = paneUserId(pane);
    const body = { user_id: id };
    if (pane.role === "merchant") body.language_code = langSelect.value;
    const known = S.users.get(id);
    if (!known) {
      const fallback = pane.role === "merchant" ? S.defaults.merchant : S.defaults.staff;
      if (fallback && fallback.id === id) body.first_name = fallback.first_name;
    }
    return body;
  }

  function toast(pane, text, ms = 2600) {
    pane.toast.textContent = text;
    pane.toast.hidden = false;
    clearTimeout(pane.toastTimer);
    pane.toastTimer = setTimeout(() => { pane.toast.hidden = true; }, ms);
  }
  function alertDialog(text) {
    const modal = document.querySelector('[data-testid="alert-dialog"]');
    $(modal, "alert-text").textContent = text;
    modal.hidden = false;
    $(modal, "alert-ok").focus();
  }
  document.querySelector('[data-testid="alert-ok"]').addEventListener("click", () => {
    document.querySelector('[data-testid="alert-dialog"]').hidden = true;
  });

  // ---------------------------------------------------------------- message rendering
  function renderMessage(pane, msg) {
    const fromBot = msg.from && msg.from.id === S.bot.id;
    const out = msg.from && msg.from.id === paneUserId(pane);
    const isGroup = msg.chat.type !== "private";
    const bubble = el("div", { class: "bubble" });
    if (isGroup && !out) {
      bubble.append(el("div", { class: fromBot ? "sender bot" : "sender", text: fullName(msg.from) }));
    }
    if (msg.forward_origin) {
      const origin = msg.forward_origin;
      const name = fullName(origin.sender_user) || origin.sender_user_name || (origin.chat && origin.chat.title) || "";
      bubble.append(el("div", { class: "forward", text: `转发自 ${name}` }));
    }
    if (msg.reply_to_message) {
      const target = msg.reply_to_message;
      bubble.append(el("div", {
        class: "reply-quote", "data-testid": "reply-quote", title: "跳到原消息",
        text: `${fullName(target.from)}: ${summary(target)}`,
        onclick: () => flash(pane, target.message_id),
      }));
    }
    if (msg.photo && msg.photo.length) {
      const best = msg.photo[msg.photo.length - 1];
      const src = `/sandbox/files/${encodeURIComponent(best.file_id)}`;
      bubble.append(el("img", {
        class: "photo", src, alt: "图片", loading: "lazy", "data-testid": "message-photo",
        width: best.width || null, height: best.height || null, onclick: () => window.open(src, "_blank", "noopener"),
      }));
    }
    if (msg.document) {
      const doc = msg.document;
      bubble.append(el("a", {
        class: "doc", "data-testid": "message-document",
        href: `/sandbox/files/${encodeURIComponent(doc.file_id)}`, download: doc.file_name || "file",
      }, el("span", { class: "doc-icon", "aria-hidden": "true" }),
      el("span", {}, el("div", { class: "doc-name", text: doc.file_name || "file" }),
        el("div", { class: "doc-size", text: `${humanSize(doc.file_size)} · ${doc.mime_type || ""}` }))));
    }
    if (msg.text !== undefined) bubble.append(renderText(msg.text, msg.entities, pane));
    else if (msg.caption) bubble.append(renderText(msg.caption, msg.caption_entities, pane));
    if (!msg.text && !msg.photo && !msg.document && !msg.caption) {
      bubble.append(el("div", { class: "other", "data-testid": "message-text", text: describeOther(msg) }));
    }
    bubble.append(el("div", { class: "meta" },
      msg.edit_date ? el("span", { "data-testid": "edited", text: "已编辑" }) : null,
      el("span", { text: hhmm(msg.date) }),
      el("button", { type: "button", class: "reply-action", "data-testid": "reply-action", title: "回复", text: "↩",
        onclick: () => setReply(pane, msg) })));
    const node = el("div", {
      class: `msg ${out ? "out" : "in"}`, "data-testid": "message", "data-message-id": msg.message_id,
      "data-chat-id": msg.chat.id, "data-from": fromBot ? "bot" : "user", "data-sender-id": msg.from ? msg.from.id : null,
    }, bubble);
    const rows = msg.reply_markup && msg.reply_markup.inline_keyboard;
    if (rows && rows.length) node.append(renderInlineKeyboard(pane, msg, rows));
    return node;
  }
  function describeOther(msg) {
    if (msg.sticker) return `[贴纸 ${msg.sticker.emoji || ""}]`;
    if (msg.voice) return `[语音 ${msg.voice.duration || 0}s]`;
    if (msg.contact) return `👤 ${fullName(msg.contact)} ${msg.contact.phone_number || ""}`;
    if (msg.location) return `📍 ${msg.location.latitude}, ${msg.location.longitude}`;
    return summary(msg);
  }
  function renderInlineKeyboard(pane, msg, rows) {
    const box = el("div", { class: "inline-keyboard", "data-testid": "inline-keyboard" });
    for (const row of rows) {
      const line = el("div", { class: "kb-row" });
      for (const button of row) {
        const attrs = { type: "button", class: "inline-button", "data-testid": "inline-button", title: button.text };
        if (button.callback_data !== undefined) attrs["data-callback-data"] = button.callback_data;
        if (button.url) attrs["data-url"] = button.url;
        const node = el("button", attrs, button.text, button.url ? el("span", { class: "kind", text: "↗" }) : null);
        node.addEventListener("click", () => onInlineButton(pane, msg, button, node));
        line.append(node);
      }
      box.append(line);
    }
    return box;
  }
  async function onInlineButton(pane, msg, button, node) {
    if (button.url) {
      const href = safeHref(button.url);
      if (href) window.open(href, "_blank", "noopener");
      return;
    }
    if (button.callback_data === undefined) {
      toast(pane, "沙盒不支持这种按钮");
      return;
    }
    node.classList.add("pending");
    try {
      const query = await api("/press", {
        ...userPayload(pane), chat_id: msg.chat.id, message_id: msg.message_id, callback_data: button.callback_data,
      });
      // The answer may already have arrived over SSE before this response did.
      if (S.answeredQueries.has(query.id)) { node.classList.remove("pending"); return; }
      S.pendingQueries.set(query.id, node);
      setTimeout(() => { node.classList.remove("pending"); S.pendingQueries.delete(query.id); }, 15000);
    } catch (err) {
      node.classList.remove("pending");
      toast(pane, `按钮已失效：${err.message}`);
    }
  }

  function nearBottom(list) {
    return list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  }
  function upsertInPane(pane, msg, kind) {
    const list = pane.list;
    const stick = nearBottom(list) || (msg.from && msg.from.id === paneUserId(pane));
    const existing = list.querySelector(`[data-message-id="${msg.message_id}"]`);
    const node = renderMessage(pane, msg);
    if (existing) {
      existing.replaceWith(node);
      if (kind === "edit") flashNode(node);
    } else {
      const after = [...list.children].find((c) => Number(c.dataset.messageId) > msg.message_id);
      list.insertBefore(node, after || null);
    }
    if (stick) list.scrollTop = list.scrollHeight;
  }
  function flashNode(node) {
    node.classList.remove("flash");
    void node.offsetWidth; // restart the animation
    node.classList.add("flash");
  }
  function flash(pane, messageId) {
    const node = pane.list.querySelector(`[data-message-id="${messageId}"]`);
    if (node) { node.scrollIntoView({ block: "center", behavior: "smooth" }); flashNode(node); }
  }
  function renderPane(pane) {
    const chatId = paneChatId(pane);
    pane.list.replaceChildren();
    const messages = S.messages.get(chatId);
    if (messages) {
      for (const msg of [...messages.values()].sort((a, b) => a.message_id - b.message_id)) {
        pane.list.append(renderMessage(pane, msg));
      }
    }
    pane.list.scrollTop = pane.list.scrollHeight;
    renderKeyboard(pane);
    renderActingAs(pane);
  }
  function storeMessage(msg) {
    if (!S.messages.has(msg.chat.id)) S.messages.set(msg.chat.id, new Map());
    S.messages.get(msg.chat.id).set(msg.message_id, msg);
  }

  // ---------------------------------------------------------------- reply keyboard / reply bar
  function renderKeyboard(pane) {
    const chatId = paneChatId(pane);
    const markup = S.keyboards.get(chatId);
    pane.keyboard.replaceChildren();
    if (!markup || !markup.keyboard || S.hiddenKeyboards.has(chatId)) { pane.keyboard.hidden = true; return; }
    for (const row of markup.keyboard) {
      const line = el("div", { class: "kb-row" });
      for (const button of row) {
        line.append(el("button", {
          type: "button", class: "reply-button", "data-testid": "reply-button", text: button.text,
          onclick: () => onReplyButton(pane, markup, button),
        }));
      }
      pane.keyboard.append(line);
    }
    pane.keyboard.hidden = false;
  }
  async function onReplyButton(pane, markup, button) {
    const chatId = paneChatId(pane);
    if (markup.one_time_keyboard) { S.hiddenKeyboards.add(chatId); renderKeyboard(pane); }
    const user = S.users.get(paneUserId(pane)) || { first_name: "用户" };
    if (button.request_contact) {
      const contact = { phone_number: "+8613800138000", first_name: user.first_name, user_id: paneUserId(pane) };
      await api("/send_raw", { ...userPayload(pane), chat_id: chatId, fields: { contact } }).catch((e) => toast(pane, e.message));
    } else if (button.request_location) {
      const location = { latitude: 31.2304, longitude: 121.4737 };
      await api("/send_raw", { ...userPayload(pane), chat_id: chatId, fields: { location } }).catch((e) => toast(pane, e.message));
    } else {
      await sendText(pane, button.text);
    }
  }
  function setReply(pane, msg) {
    pane.replyTo = msg.message_id;
    pane.replyBar.querySelector(".reply-bar-text").textContent = `回复 ${fullName(msg.from)}: ${summary(msg)}`;
    pane.replyBar.hidden = false;
    pane.input.focus();
  }
  function clearReply(pane) {
    pane.replyTo = null;
    pane.replyBar.hidden = true;
  }

  // ---------------------------------------------------------------- sending
  function targetOrWarn(pane) {
    const chatId = paneChatId(pane);
    if (chatId === null || chatId === undefined) toast(pane, "请先选择或新建一个员工群");
    return chatId;
  }
  async function sendText(pane, text) {
    const chatId = targetOrWarn(pane);
    if (chatId === null || chatId === undefined || !text.trim()) return;
    const body = { ...userPayload(pane), chat_id: chatId, text };
    if (pane.replyTo) body.reply_to_message_id = pane.replyTo;
    clearReply(pane);
    try {
      const msg = await api("/send_text", body);
      storeMessage(msg);
      upsertInPane(pane, msg, "message");
    } catch (err) {
      toast(pane, `发送失败：${err.message}`);
    }
  }
  async function upload(pane, file) {
    const chatId = targetOrWarn(pane);
    if (chatId === null || chatId === undefined) return;
    const form = new FormData();
    for (const [key, value] of Object.entries(userPayload(pane))) form.append(key, String(value));
    form.append("chat_id", String(chatId));
    const caption = pane.input.value.trim();
    if (caption) { form.append("caption", caption); pane.input.value = ""; autosize(pane.input); }
    form.append("file", file, file.name || "file");
    try {
      const msg = await api("/upload", form);
      storeMessage(msg);
      upsertInPane(pane, msg, "message");
    } catch (err) {
      toast(pane, `上传失败：${err.message}`);
    }
  }
  function autosize(area) {
    area.style.height = "auto";
    area.style.height = `${Math.min(area.scrollHeight, 140)}px`;
  }
  function wireComposer(pane) {
    pane.form.addEventListener("submit", (e) => {
      e.preventDefault();
      const text = pane.input.value;
      if (!text.trim()) return;
      pane.input.value = "";
      autosize(pane.input);
      sendText(pane, text);
    });
    pane.input.addEventListener("keydown", (e) => {
      // isComposing: Enter also confirms Chinese IME candidates and must not send then.
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
        e.preventDefault();
        pane.form.requestSubmit();
      }
    });
    pane.input.addEventListener("input", () => autosize(pane.input));
    pane.input.addEventListener("paste", (e) => {
      const files = [...(e.clipboardData ? e.clipboardData.files : [])];
      if (files.length) { e.preventDefault(); files.forEach((f) => upload(pane, f)); }
    });
    pane.file.addEventListener("change", () => {
      [...pane.file.files].forEach((f) => upload(pane, f));
      pane.file.value = "";
    });
    $(pane.root, "reply-cancel").addEventListener("click", () => clearReply(pane));
    let depth = 0;
    pane.root.addEventListener("dragenter", (e) => { e.preventDefault(); depth++; pane.root.classList.add("dragging"); });
    pane.root.addEventListener("dragover", (e) => e.preventDefault());
    pane.root.addEventListener("dragleave", () => { if (--depth <= 0) { depth = 0; pane.root.classList.remove("dragging"); } });
    pane.root.addEventListener("drop", (e) => {
      e.preventDefault();
      depth = 0;
      pane.root.classList.remove("dragging");
      [...(e.dataTransfer ? e.dataTransfer.files : [])].forEach((f) => upload(pane, f));
    });
  }

  // ---------------------------------------------------------------- chats, header, tabs
  function renderActingAs(pane) {
    const user = S.users.get(paneUserId(pane));
    const fallback = pane.role === "merchant" ? S.defaults.merchant : S.defaults.staff;
    const name = fullName(user) || (fallback ? fallback.first_name : "");
    pane.actingAs.textContent = pane.role === "merchant"
      ? `你正以商户「${name}」(id ${paneUserId(pane)}) 的身份和机器人私聊`
      : `你正以「${name}」(id ${paneUserId(pane)}) 的身份在群里发言`;
  }
  function refreshGroups() {
    const groups = [...S.chats.values()].filter((c) => c.type !== "private"); // creation order
    if (S.groupId === null || !groups.some((g) => g.id === S.groupId)) {
      const saved = Number(localStorage.getItem("sandbox.group"));
      const pick = groups.find((g) => g.id === saved) || groups[0];
      S.groupId = pick ? pick.id : null;
      renderPane(panes.staff);
    }
    groupSelect.replaceChildren(...groups.map((g) => el("option", { value: g.id, text: g.title })));
    if (S.groupId !== null) groupSelect.value = String(S.groupId);
    groupSelect.hidden = groups.length === 0;
    $(panes.staff.root, "no-groups").hidden = groups.length > 0;
  }
  groupSelect.addEventListener("change", () => {
    S.groupId = Number(groupSelect.value);
    localStorage.setItem("sandbox.group", String(S.groupId));
    clearReply(panes.staff);
    renderPane(panes.staff);
  });
  $(panes.staff.root, "add-group").addEventListener("click", async () => {
    const title = prompt("新群名称", "POS 审核群");
    if (!title) return;
    try {
      const chat = await api("/groups", { title });
      S.chats.set(chat.id, chat);
      S.groupId = chat.id;
      localStorage.setItem("sandbox.group", String(chat.id));
      refreshGroups();
      renderPane(panes.staff);
    } catch (err) { toast(panes.staff, err.message); }
  });
  langSelect.addEventListener("change", async () => {
    localStorage.setItem("sandbox.lang", langSelect.value);
    try {
      await api("/users", { ...userPayload(panes.merchant), language_code: langSelect.value });
      toast(panes.merchant, `language_code = ${langSelect.value}`);
    } catch (err) { toast(panes.merchant, err.message); }
  });
  function showTab(role) {
    for (const pane of Object.values(panes)) pane.root.classList.toggle("active", pane.role === role);
    for (const tab of document.querySelectorAll(".tab")) {
      const active = tab.dataset.tab === role;
      tab.classList.toggle("active", active);
      if (active) { panes[role].unread = 0; tab.querySelector(".badge").hidden = true; }
    }
    const pane = panes[role];
    pane.list.scrollTop = pane.list.scrollHeight;
  }
  for (const tab of document.querySelectorAll(".tab")) tab.addEventListener("click", () => showTab(tab.dataset.tab));
  function bumpUnread(pane) {
    if (isVisible(pane)) return;
    pane.unread += 1;
    const badge = document.querySelector(`.tab[data-tab="${pane.role}"] .badge`);
    badge.textContent = String(pane.unread);
    badge.hidden = false;
  }
  function showAction(pane, action) {
    pane.status.textContent = ACTIONS[action] || `${action}…`;
    pane.status.classList.add("active");
    clearTimeout(pane.typingTimer);
    pane.typingTimer = setTimeout(() => resetStatus(pane), 5000); // Telegram shows it for 5 s
  }
  function resetStatus(pane) {
    clearTimeout(pane.typingTimer);
    pane.status.classList.remove("active");
    pane.status.textContent = pane.role === "merchant" ? `机器人 @${S.bot.username || ""}` : "员工群";
  }

  // ---------------------------------------------------------------- demo data switch
  const demoSwitch = $(document, "demo-switch");
  const demoToggle = $(document, "demo-toggle");
  function showDemo(status) {
    demoToggle.checked = Boolean(status && status.on);
    demoSwitch.dataset.state = demoToggle.checked ? "on" : "off";
  }
  async function loadDemo(available) {
    demoSwitch.hidden = !available;
    if (!available) return;
    try { showDemo(await api(`/demo?user_id=${S.merchantId}`)); } catch (err) { demoSwitch.hidden = true; }
  }
  demoToggle.addEventListener("change", async () => {
    const on = demoToggle.checked;
    demoSwitch.classList.add("busy");
    demoToggle.disabled = true;
    try {
      const status = await api("/demo", { user_id: S.merchantId, on });
      showDemo(status);
      toast(panes.merchant, status.on
        ? `演示数据已载入：「${status.name}」(${status.merchant_no}) 已关联到你，发送 /today 或 /week 看看`
        : `已取消关联演示商户「${status.name || ""}」`, 4000);
    } catch (err) {
      demoToggle.checked = !on;
      toast(panes.merchant, `演示数据：${err.message}`, 4000);
    } finally {
      demoSwitch.classList.remove("busy");
      demoToggle.disabled = false;
    }
  });

  // ---------------------------------------------------------------- live feed
  function onFeed(entry) {
    if (entry.seq <= S.seq) return;
    S.seq = entry.seq;
    const targets = panesFor(entry.chat_id);
    switch (entry.kind) {
      case "message":
      case "edit":
        storeMessage(entry.message);
        for (const pane of targets) {
          upsertInPane(pane, entry.message, entry.kind);
          if (entry.actor === "bot") resetStatus(pane);
          if (entry.kind === "message") bumpUnread(pane);
        }
        break;
      case "delete": {
        const messages = S.messages.get(entry.chat_id);
        if (messages) messages.delete(entry.message.message_id);
        for (const pane of targets) {
          const node = pane.list.querySelector(`[data-message-id="${entry.message.message_id}"]`);
          if (node) node.remove();
        }
        break;
      }
      case "chat":
        S.chats.set(entry.chat.id, entry.chat);
        if (entry.user) S.users.set(entry.user.id, entry.user);
        refreshGroups();
        Object.values(panes).forEach(renderActingAs);
        break;
      case "keyboard":
        S.keyboards.set(entry.chat_id, entry.markup);
        S.hiddenKeyboards.delete(entry.chat_id);
        targets.forEach(renderKeyboard);
        break;
      case "callback_answer": {
        const answer = entry.answer;
        S.answeredQueries.add(answer.callback_query_id);
        const node = S.pendingQueries.get(answer.callback_query_id);
        if (node) { node.classList.remove("pending"); S.pendingQueries.delete(answer.callback_query_id); }
        if (answer.text) {
          if (answer.show_alert) alertDialog(answer.text);
          else targets.forEach((pane) => toast(pane, answer.text));
        }
        break;
      }
      case "demo":
        if (entry.chat_id === S.merchantId) showDemo(entry.demo);
        break;
      case "chat_action":
        targets.forEach((pane) => showAction(pane, entry.action));
        break;
      default:
        break;
    }
  }

  const connection = document.querySelector('[data-testid="connection-status"]');
  let source = null;
  function connect() {
    if (source) source.close();
    // EventSource cannot send headers: the feed alone takes the secret in its query.
    source = new EventSource(`${API}/stream?after=${S.seq}&secret=${encodeURIComponent(SECRET)}`);
    source.addEventListener("open", () => { connection.dataset.state = "open"; });
    source.addEventListener("feed", (ev) => onFeed(JSON.parse(ev.data)));
    source.addEventListener("error", () => {
      // Reload the whole state on reconnect: the server may have restarted with a fresh log.
      connection.dataset.state = "closed";
      source.close();
      const retry = () => load().catch(() => setTimeout(retry, 2000));
      setTimeout(retry, 1000);
    });
  }
  async function load() {
    const state = await api("/state");
    S.bot = state.bot;
    S.defaults = state.defaults;
    S.seq = state.seq;
    S.users = new Map(state.users.map((u) => [u.id, u]));
    S.chats = new Map(state.chats.map((c) => [c.id, c]));
    S.messages = new Map();
    for (const list of Object.values(state.messages)) list.forEach(storeMessage);
    S.keyboards = new Map(Object.entries(state.keyboards).map(([k, v]) => [Number(k), v]));
    document.title = `${S.bot.first_name} · Sandbox`;
    $(document, "bot-name").textContent = S.bot.first_name;
    $(panes.merchant.root, "chat-title").textContent = S.bot.first_name;
    const merchant = S.users.get(S.merchantId);
    langSelect.value = (merchant && merchant.language_code) || localStorage.getItem("sandbox.lang") || "zh-hans";
    if (!langSelect.value) langSelect.value = "zh-hans";
    refreshGroups();
    Object.values(panes).forEach((pane) => { renderPane(pane); resetStatus(pane); });
    loadDemo(Boolean(state.demo_available));
    connect();
  }

  Object.values(panes).forEach(wireComposer);
  const firstLoad = () => load().catch((err) => {
    connection.dataset.state = "closed";
    toast(panes.merchant, `无法连接沙盒：${err.message}`, 4000);
    setTimeout(firstLoad, 3000);
  });
  firstLoad();
})();
