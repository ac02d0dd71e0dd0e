/* X's weighted count (twitter-text v3) under each <textarea data-x-counter="ID">, written as "N / 280"
   into the element with that id. The server decides (postdesk/domain/counting.py); this only helps while
   typing, with the same rules and data: change both together. ES2017 + Unicode property escapes, no build. */
(function () {
  "use strict";
  const MAX = 280, URL_LENGTH = 23, RANGES = [[0, 4351], [8192, 8205], [8208, 8223], [8242, 8247]];
  const COUNTRY = new Set((
    "ac ad ae af ag ai al am an ao aq ar as at au aw ax az ba bb bd be bf bg bh bi bj bl bm bn bo bq br bs " +
    "bt bv bw by bz ca cc cd cf cg ch ci ck cl cm cn co cr cu cv cw cx cy cz de dj dk dm do dz ec ee eg eh " +
    "er es et eu fi fj fk fm fo fr ga gb gd ge gf gg gh gi gl gm gn gp gq gr gs gt gu gw gy hk hm hn hr ht " +
    "hu id ie il im in io iq ir is it je jm jo jp ke kg kh ki km kn kp kr kw ky kz la lb lc li lk lr ls lt " +
    "lu lv ly ma mc md me mf mg mh mk ml mm mn mo mp mq mr ms mt mu mv mw mx my mz na nc ne nf ng ni nl no " +
    "np nr nu nz om pa pe pf pg ph pk pl pm pn pr ps pt pw py qa re ro rs ru rw sa sb sc sd se sg sh si sj " +
    "sk sl sm sn so sr ss st su sv sx sy sz tc td tf tg th tj tk tl tm tn to tp tr tt tv tw tz ua ug uk um " +
    "us uy uz va vc ve vg vi vn vu wf ws ye yt za zm zw").split(" "));
  const TLDS = new Set([...COUNTRY, ...(
    "com net org edu gov mil int info biz name pro aero asia cat coop jobs mobi museum tel travel post app " +
    "dev blog shop store online site website tech xyz top club news live media cloud email link page art " +
    "bio paris bzh alsace corsica eus gal brussels quebec berlin london nyc immo law legal health care " +
    "social tv video radio music team group global world today family school university academy zip mov"
  ).split(" ")]);
  const LATIN = "a-z0-9\\u00c0-\\u00d6\\u00d8-\\u00f6\\u00f8-\\u024f\\u1e00-\\u1eff";
  const LABEL = "[\\p{L}\\p{N}](?:[\\p{L}\\p{N}_-]*[\\p{L}\\p{N}])?";
  const EXT = "[\\p{M}\\u200C\\u{1F3FB}-\\u{1F3FF}\\u{E0020}-\\u{E007F}]";
  const rx = (source, flags) => new RegExp(source, flags);
  let re;
  try { // built here so that a browser without Unicode property escapes just keeps the plain page
    re = {
      start: rx("(https?://)?(" + LABEL + "(?:\\." + LABEL + ")+)", "giu"),
      notBefore: /[A-Za-z0-9@＠$#＃\uFFFE\uFEFF\uFFFF]/, latin: rx("^[" + LATIN + "_-]$", "iu"),
      letters: rx("^\\p{L}{2,}$", "u"), port: /:[0-9]+/y,
      path: rx("/[" + LATIN + "\\u0400-\\u04ff!*';:=+,.$/%#\\[\\]\\-\\u2013_~&|@()]*", "iuy"),
      pathEnd: rx("^[" + LATIN + "\\u0400-\\u04ff=_#/+\\-)]$", "iu"),
      query: /\?[a-z0-9!?*'@();:&=+$/%#[\]\-_.,~|]*/iy, queryEnd: /^[a-z0-9\-_&=#/]$/i,
      emoji: rx("\\p{Extended_Pictographic}(?:" + EXT + "|\\u200D\\p{Extended_Pictographic}?)*|" +
        "(?:\\p{Regional_Indicator}{1,2}|[#*0-9]\\uFE0F?\\u20E3)(?:" + EXT + "|\\u200D)*", "uy"),
      emojiStart: rx("^(?:\\p{Extended_Pictographic}|\\p{Regional_Indicator}|[#*0-9]\\uFE0F?\\u20E3)", "u"),
    };
  } catch (e) { return; }

  function trim(run, ending, balance) { // unbalanced parentheses (paths only) and trailing punctuation
    const open = [];
    for (let i = 0; balance && i < run.length; i++) {
      if (run[i] === "(") open.push(i);
      else if (run[i] === ")" && open.pop() === undefined) { run = run.slice(0, i); break; }
    }
    if (open.length) run = run.slice(0, open[0]);
    while (run && !ending.test(run[run.length - 1])) run = run.slice(0, -1);
    return run;
  }

  function encodedLength(label) { // punycode length, as twitter-text checks it against 63
    if (/^[\x00-\x7f]*$/.test(label)) return label.length;
    try { return new URL("http://" + label + ".x").hostname.split(".")[0].length; } catch (e) { return 64; }
  }

  function findHost(labels, bare) { // longest run of labels ending in a TLD; see _find_host in counting.py
    const checked = (host) => (host[host.length - 2].includes("_") ? null : host);
    for (let size = labels.length; size > 1; size--) {
      const tld = labels[size - 1].toLowerCase();
      if (TLDS.has(tld) || /^xn--[a-z0-9-]+$/.test(tld)) return checked(labels.slice(0, size));
    }
    return !bare && re.letters.test(labels[labels.length - 1]) ? checked(labels) : null;
  }

  function urlSpan(text, m) {
    const scheme = m[1] || "", labels = m[2].split(".");
    let start = m.index, cut = labels[0].length;
    if (!scheme) { // a bare domain: Latin only, and not inside a path or a longer name
      if (start > 0 && "-_./".includes(text[start - 1])) return null;
      while (cut && re.latin.test(labels[0][cut - 1])) cut--;
      const first = labels[0].slice(cut).replace(/^[_-]+/, "");
      if (!first || !labels.slice(1).every((l) => [...l].every((c) => re.latin.test(c)))) return null;
      start += labels[0].length - first.length;
      labels[0] = first;
    }
    const host = findHost(labels, !scheme), tld = host && host[host.length - 1].toLowerCase();
    let end = host && start + scheme.length + host.join(".").length;
    if (!host || (end < text.length && "@+-".includes(text[end]))) return null;
    const sticky = (r) => { r.lastIndex = end; return r.exec(text); };
    const port = sticky(re.port);
    if (port) end += port[0].length;
    const path = sticky(re.path);
    if (path) end += trim(path[0], re.pathEnd, true).length;
    const query = sticky(re.query), kept = query ? trim(query[0].slice(1), re.queryEnd, false) : "";
    if (kept) end += 1 + kept.length;
    const bareShort = host.length === 2 && COUNTRY.has(tld) && tld !== "co" && tld !== "tv";
    if ((!scheme && !path && bareShort) || host.some((label) => encodedLength(label) > 63)) return null;
    const extra = host.reduce((sum, label) => sum + encodedLength(label) - label.length, 0);
    return (scheme || "https://").length + end - start + extra <= 4096 ? [start, end] : null;
  }

  function findUrls(text) { // [start, end) UTF-16 spans in the NFC text
    const spans = [];
    for (let m; (m = re.start.exec(text));) {
      if (m.index > 0 && re.notBefore.test(text[m.index - 1])) { re.start.lastIndex = m.index + 1; continue; }
      const span = urlSpan(text, m);
      if (span) spans.push(span);
      re.start.lastIndex = span ? span[1] : m.index + m[0].length;
    }
    re.start.lastIndex = 0;
    return spans;
  }

  function plain(text, i, end) { // code point weights; a CRLF counts as one newline
    let total = 0;
    for (let cp; i < end; i += cp > 0xffff ? 2 : 1) {
      cp = text.codePointAt(i);
      if (!(cp === 13 && text[i + 1] === "\n")) total += RANGES.some(([a, b]) => cp >= a && cp <= b) ? 1 : 2;
    }
    return total;
  }

  function piece(text) { // text between URLs: each emoji sequence counts 2, the rest by weight
    let total = 0;
    if (typeof Intl === "object" && Intl.Segmenter) {
      for (const { segment } of new Intl.Segmenter(undefined, { granularity: "grapheme" }).segment(text)) {
        total += re.emojiStart.test(segment) ? 2 : plain(segment, 0, segment.length);
      }
      return total;
    }
    for (let i = 0, m, end; i < text.length; i = end) {
      re.emoji.lastIndex = i;
      m = re.emoji.exec(text);
      end = m ? i + m[0].length : i + (text.codePointAt(i) > 0xffff ? 2 : 1);
      total += m ? 2 : plain(text, i, end);
    }
    return total;
  }

  function weightedLength(text) {
    text = text.normalize("NFC");
    let total = 0, at = 0;
    for (const [start, end] of findUrls(text)) {
      total += piece(text.slice(at, start)) + URL_LENGTH;
      at = end;
    }
    return total + piece(text.slice(at));
  }

  if (typeof module === "object" && module.exports) module.exports = { weightedLength, findUrls };
  if (typeof document === "undefined") return;
  function attach(textarea) {
    const output = document.getElementById(textarea.getAttribute("data-x-counter"));
    if (!output) return;
    output.setAttribute("aria-live", "polite");
    const update = () => {
      const n = weightedLength(textarea.value);
      output.textContent = n + " / " + MAX;
      if (n > MAX) output.setAttribute("data-over", "true"); else output.removeAttribute("data-over");
    };
    textarea.addEventListener("input", update);
    update();
  }
  function shown(text) { // the text as X shows it: each link without its scheme or www., cut to 23
    const parts = [];
    let at = 0;
    for (const [start, end] of findUrls(text)) {
      let bare = text.slice(start, end).replace(/^https?:\/\//i, "").replace(/^www\./i, "");
      if (bare.length > URL_LENGTH) bare = bare.slice(0, URL_LENGTH - 1) + "\u2026";
      parts.push(text.slice(at, start), bare);
      at = end;
    }
    parts.push(text.slice(at));
    return parts.join("");
  }

  function preview(section) { // the post as X will show it, with its images and their descriptions
    const textarea = document.getElementById(section.getAttribute("data-x-preview"));
    const post = section.querySelector(".post"), images = section.querySelector(".images");
    if (!textarea || !post || !images) return;
    section.hidden = false;
    const update = () => {
      post.textContent = shown(textarea.value.normalize("NFC"));
      images.replaceChildren();
      for (let n = 1; n <= 4; n++) {
        const file = document.getElementById("image_" + n), alt = document.getElementById("alt_" + n);
        if (!file || !file.files || !file.files[0] || !file.files[0].type.startsWith("image/")) continue;
        const figure = document.createElement("figure"), img = document.createElement("img");
        const caption = document.createElement("figcaption");
        img.src = URL.createObjectURL(file.files[0]);
        img.alt = alt ? alt.value : "";
        caption.textContent = alt ? alt.value : "";
        figure.append(img, caption);
        images.append(figure);
      }
    };
    textarea.addEventListener("input", update);
    document.querySelectorAll("input[id^=image_], input[id^=alt_]").forEach((input) => {
      input.addEventListener("change", update);
      input.addEventListener("input", update);
    });
    update();
  }

  const start = () => {
    document.querySelectorAll("textarea[data-x-counter]").forEach(attach);
    document.querySelectorAll("[data-x-preview]").forEach(preview);
    const summary = document.getElementById("errors"); // after a failed submit, read what to fix first
    if (summary) summary.focus();
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
