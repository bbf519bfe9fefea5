/* proofloop review widget: paste once, then mark places with data-proofloop-product="<product id>".
 *   <script src="https://<api>/widget.js" data-shop="<shop id>" defer></script>
 *   <div data-proofloop-product="8123456700416"></div>
 * Theme with CSS variables on any ancestor: --proofloop-star, --proofloop-text, --proofloop-muted,
 * --proofloop-border, --proofloop-accent, --proofloop-font. Review text is only ever set as text.
 * Its words are in the page's language (<html lang>) when proofloop writes in it, else in the shop's: the API
 * sends them with the reviews (`texts`); an API without them leaves the English below.
 */
(function () {
  "use strict";
  var script = document.currentScript || document.querySelector("script[src*='widget.js']");
  if (!script) { return; }
  var api = script.src.replace(/\/widget\.js(\?.*)?$/, "");
  var defaultShop = script.getAttribute("data-shop");
  var STYLE = [
    ".plw{font-family:var(--proofloop-font,inherit);color:var(--proofloop-text,#1d2733);line-height:1.5}",
    ".plw-summary{display:flex;align-items:center;gap:.5rem;flex-wrap:wrap;margin:0 0 .75rem}",
    ".plw-stars{color:var(--proofloop-star,#f5a623);letter-spacing:.05em}",
    ".plw-muted{color:var(--proofloop-muted,#5b6776);font-size:.9em}",
    ".plw-list{list-style:none;margin:0;padding:0}",
    ".plw-review{border-top:1px solid var(--proofloop-border,#dde3ea);padding:.75rem 0}",
    ".plw-title{font-weight:700;margin:.2rem 0}",
    ".plw-badge{font-size:.75em;border:1px solid var(--proofloop-accent,#1a7f37);color:var(--proofloop-accent,#1a7f37);border-radius:999px;padding:0 .45em;margin-left:.4em}",
    ".plw-reply{margin:.5rem 0 0 1rem;padding-left:.75rem;border-left:3px solid var(--proofloop-border,#dde3ea)}",
    ".plw-photos{display:flex;flex-wrap:wrap;gap:.4rem;list-style:none;margin:.4rem 0;padding:0}",
    ".plw-thumb{padding:0;border:1px solid var(--proofloop-border,#dde3ea);border-radius:6px;background:none;cursor:zoom-in;line-height:0}",
    ".plw-thumb img{border-radius:5px;display:block}",
    ".plw-viewer{border:0;padding:0;max-width:min(96vw,1600px);background:#111}",
    ".plw-viewer::backdrop{background:rgba(0,0,0,.75)}",
    ".plw-viewer img{display:block;max-width:96vw;max-height:85vh;width:auto;height:auto}",
    ".plw-viewer-bar{display:flex;justify-content:space-between;gap:.5rem;padding:.4rem;background:#111}",
    ".plw-viewer-bar button{font:inherit;color:#fff;background:transparent;border:1px solid #888;border-radius:6px;padding:.3rem .7rem;cursor:pointer}",
    ".plw-more{font:inherit;margin-top:.5rem;padding:.4rem .9rem;border:1px solid var(--proofloop-accent,#1f6feb);background:transparent;color:var(--proofloop-accent,#1f6feb);border-radius:6px;cursor:pointer}"
  ].join("");

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  // The API's word for `key`, else our English one (an API from before `texts`).
  function say(texts, key, english) {
    return texts && typeof texts[key] === "string" ? texts[key] : english;
  }

  // A template's {name} placeholders filled in one pass: a value is never read as a placeholder itself.
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
    });
  }

  function stars(rating) {
    var full = Math.round(rating);
    var node = el("span", "plw-stars", "\u2605\u2605\u2605\u2605\u2605".slice(0, full) + "\u2606\u2606\u2606\u2606\u2606".slice(0, 5 - full));
    node.setAttribute("aria-hidden", "true");
    return node;
  }

  function review(item, texts) {
    var li = el("li", "plw-review");
    var head = el("p", null);
    head.appendChild(stars(item.rating));
    head.appendChild(el("span", "plw-sr", " " + fill(say(texts, "stars", "{rating} out of 5 stars"), { rating: item.rating })));
    head.lastChild.style.position = "absolute";
    head.lastChild.style.left = "-10000px";
    li.appendChild(head);
    if (item.title) { li.appendChild(el("p", "plw-title", item.title)); }
    li.appendChild(el("p", null, item.body));
    if (item.photos && item.photos.length) { li.appendChild(photos(item, texts)); }
    var by = el("p", "plw-muted", item.author + (item.published_at ? " \u00b7 " + item.published_at.slice(0, 10) : ""));
    if (item.verified) { by.appendChild(el("span", "plw-badge", say(texts, "verified", "Verified buyer"))); }
    li.appendChild(by);
    if (item.reply) {
      var reply = el("div", "plw-reply");
      reply.appendChild(el("p", "plw-muted", say(texts, "reply", "Reply from the shop")));
      reply.appendChild(el("p", null, item.reply.body));
      li.appendChild(reply);
    }
    return li;
  }

  var THUMB = 96; // thumbnails' height in CSS pixels; their width follows each photo's own shape

  function photos(item, texts) {
    var strip = el("ul", "plw-photos");
    strip.setAttribute("aria-label", fill(say(texts, "photos", "Photos from {author}"), { author: item.author }));
    item.photos.forEach(function (photo, index) {
      var li = el("li");
      var button = el("button", "plw-thumb");
      button.type = "button";
      button.setAttribute("aria-label", fill(say(texts, "view_photo", "View photo {index} of {count} from {author}"),
        { index: index + 1, count: item.photos.length, author: item.author }));
      var img = document.createElement("img");
      img.src = photo.thumbnail_url;
      img.alt = "";
      img.loading = "lazy";
      img.decoding = "async";
      img.height = THUMB;
      img.width = Math.round(THUMB * photo.width / photo.height);
      button.appendChild(img);
      button.addEventListener("click", function () { view(item, index, button, texts); });
      li.appendChild(button);
      strip.appendChild(li);
    });
    return strip;
  }

  // A modal <dialog>: focus moves in and comes back, Escape closes it, the arrow keys and buttons page through.
  function view(item, index, opener, texts) {
    var dialog = el("dialog", "plw-viewer");
    dialog.setAttribute("aria-label", fill(say(texts, "photos", "Photos from {author}"), { author: item.author }));
    var img = document.createElement("img");
    var bar = el("div", "plw-viewer-bar");
    var prev = el("button", null, say(texts, "previous", "Previous"));
    var next = el("button", null, say(texts, "next", "Next"));
    var close = el("button", null, say(texts, "close", "Close"));
    [prev, next, close].forEach(function (b) { b.type = "button"; });
    function show(i) {
      index = (i + item.photos.length) % item.photos.length;
      var photo = item.photos[index];
      img.src = photo.url;
      img.width = photo.width;
      img.height = photo.height;
      img.alt = fill(say(texts, "photo", "Photo {index} of {count} from {author}"),
        { index: index + 1, count: item.photos.length, author: item.author });
    }
    prev.addEventListener("click", function () { show(index - 1); });
    next.addEventListener("click", function () { show(index + 1); });
    close.addEventListener("click", function () { dialog.close(); });
    dialog.addEventListener("keydown", function (event) {
      if (event.key === "ArrowLeft") { show(index - 1); }
      if (event.key === "ArrowRight") { show(index + 1); }
    });
    dialog.addEventListener("close", function () {
      dialog.parentNode.removeChild(dialog);
      opener.focus();
    });
    if (item.photos.length > 1) { bar.appendChild(prev); bar.appendChild(next); }
    bar.appendChild(close);
    dialog.appendChild(img);
    dialog.appendChild(bar);
    document.body.appendChild(dialog);
    show(index);
    dialog.showModal();
    close.focus();
  }

  function render(container, data, list) {
    var texts = data.texts || null;
    if (!list) {
      container.textContent = "";
      var region = el("section", "plw");
      region.setAttribute("aria-label", say(texts, "region", "Customer reviews"));
      // Words in another language than the page's (one proofloop does not write in) say which they are
      if (texts && texts.language && texts.language !== pageLanguage().split(/[-_]/)[0].toLowerCase()) {
        region.setAttribute("lang", texts.language);
      }
      var summary = el("p", "plw-summary");
      var agg = data.aggregate;
      if (agg.count) {
        summary.appendChild(stars(agg.average));
        summary.appendChild(el("strong", null, say(texts, "average", agg.average.toFixed(1) + " out of 5")));
        summary.appendChild(el("span", "plw-muted", say(texts, "count", agg.count + (agg.count === 1 ? " review" : " reviews"))));
      } else {
        summary.appendChild(el("span", "plw-muted", say(texts, "none", "No reviews yet.")));
      }
      region.appendChild(summary);
      if (data.shop_answers) { region.appendChild(el("p", "plw-muted plw-answers", say(texts, "answers", answersLine(data.shop_answers)))); }
      list = el("ul", "plw-list");
      region.appendChild(list);
      container.appendChild(region);
      injectJsonLd(data.json_ld);
    }
    data.reviews.forEach(function (item) { list.appendChild(review(item, texts)); });
    var old = container.querySelector(".plw-more");
    if (old) { old.parentNode.removeChild(old); }
    if (data.cursor) {
      var more = el("button", "plw-more", say(texts, "more", "More reviews"));
      more.type = "button";
      more.addEventListener("click", function () { load(container, data.cursor, list); });
      list.parentNode.appendChild(more);
    }
  }

  // "Answers 96% of reviews, usually within a day": the shop's last 90 days, when its owner shows them.
  function answersLine(answers) {
    var line = "Answers " + Math.round(answers.rate * 100) + "% of reviews";
    var hours = answers.median_hours;
    if (hours === null || hours === undefined) { return line; }
    if (hours <= 1) { return line + ", usually within an hour"; }
    if (hours <= 24) { return line + ", usually within a day"; }
    return line + ", usually within " + Math.ceil(hours / 24) + " days";
  }

  function injectJsonLd(block) {
    if (!block || !block.aggregateRating) { return; }
    var tag = document.createElement("script");
    tag.type = "application/ld+json";
    tag.setAttribute("data-proofloop-jsonld", block.productID);
    // Escaped so that review text holding "</script>" stays inside the block wherever the page is serialized.
    tag.textContent = JSON.stringify(block).replace(/</g, "\\u003c").replace(/>/g, "\\u003e").replace(/&/g, "\\u0026");
    document.head.appendChild(tag);
  }

  // The page's language tag (<html lang="fr-CA">), or "" when it names none.
  function pageLanguage() {
    return (document.documentElement.getAttribute("lang") || "").trim();
  }

  function load(container, cursor, list) {
    var shop = container.getAttribute("data-proofloop-shop") || defaultShop;
    var product = container.getAttribute("data-proofloop-product");
    var limit = container.getAttribute("data-proofloop-limit") || "10";
    var sort = container.getAttribute("data-proofloop-sort") || "newest";
    var url = api + "/shops/" + encodeURIComponent(shop) + "/products/" + encodeURIComponent(product) +
      "/reviews?limit=" + encodeURIComponent(limit) + "&sort=" + encodeURIComponent(sort) +
      (cursor ? "&cursor=" + encodeURIComponent(cursor) : "") +
      (pageLanguage() ? "&lang=" + encodeURIComponent(pageLanguage()) : "");
    return fetch(url, { credentials: "omit" })
      .then(function (response) {
        if (!response.ok) { throw new Error("proofloop: reviews answered " + response.status); }
        return response.json();
      })
      .then(function (data) { render(container, data, list); })
      .catch(function (error) {
        if (window.console && console.warn) { console.warn(String(error)); }
      });
  }

  function start() {
    if (!document.getElementById("proofloop-widget-style")) {
      var style = document.createElement("style");
      style.id = "proofloop-widget-style";
      style.textContent = STYLE;
      document.head.appendChild(style);
    }
    var places = document.querySelectorAll("[data-proofloop-product]");
    Array.prototype.forEach.call(places, function (place) { load(place, null, null); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
