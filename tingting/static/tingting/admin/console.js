/* Staff console: refreshes every progress bar that names a JSON view
   (data-tt-progress) every few seconds while its run is active. No framework. */
(function () {
  "use strict";
  var INTERVAL_MS = 2000;

  function lookup(data, path) {
    return path.split(".").reduce(function (value, key) {
      return value == null ? value : value[key];
    }, data);
  }

  function fill(box, data) {
    var total = data.total || 0;
    var widths = { inflight: data.in_flight };
    ["completed", "hungup", "unanswered", "failed", "terminated"].forEach(function (name) {
      widths[name] = data.status_counts[name];
    });
    box.querySelectorAll("[data-tt-seg]").forEach(function (seg) {
      var count = widths[seg.getAttribute("data-tt-seg")] || 0;
      seg.style.width = (total ? (100 * count) / total : 0) + "%";
    });
    box.querySelectorAll("[data-tt]").forEach(function (el) {
      var name = el.getAttribute("data-tt");
      var value;
      if (name === "rate") {
        value = data.rate_per_second ? data.rate_per_second + "/s, ETA " + data.eta : "ETA " + data.eta;
      } else {
        value = lookup(data, name);
      }
      el.textContent = value == null ? "—" : String(value);
    });
    box.setAttribute("data-tt-active", data.is_active ? "1" : "");
    box.setAttribute("data-tt-state", data.state);
    box.dispatchEvent(new CustomEvent("tt:progress", { detail: data, bubbles: true }));
  }
  window.ttFillProgress = fill;

  function poll(box) {
    var url = box.getAttribute("data-tt-progress");
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(function (data) {
        fill(box, data);
        if (data.is_active) setTimeout(function () { poll(box); }, INTERVAL_MS);
      })
      .catch(function () {
        setTimeout(function () { poll(box); }, INTERVAL_MS * 3);
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-tt-progress]").forEach(function (box) {
      if (box.getAttribute("data-tt-progress") && box.getAttribute("data-tt-active")) {
        setTimeout(function () { poll(box); }, INTERVAL_MS);
      }
    });
  });
})();

/* Begin form: "Show the hold" posts the form (file included) with preview=1 and shows
   the hold the begin would take; the confirm button is enabled only for what was shown. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("[data-tt-begin]");
    if (!form) return;
    var confirm = form.querySelector("#tt-confirm");
    var hold = form.querySelector("#tt-hold");
    form.addEventListener("input", function () {
      confirm.disabled = true;
      hold.textContent = "";
    });
    form.querySelector("#tt-preview").addEventListener("click", function () {
      var data = new FormData(form);
      data.append("preview", "1");
      hold.textContent = "…";
      fetch(window.location.href, { method: "POST", body: data, credentials: "same-origin" })
        .then(function (response) { return response.json(); })
        .then(function (body) {
          if (body.errors) {
            hold.className = "tt-hold tt-bad";
            hold.textContent = body.errors.map(function (e) {
              return (e.field ? e.field + ": " : "") + e.message;
            }).join(" ");
            return;
          }
          hold.className = "tt-hold" + (body.enough ? "" : " tt-bad");
          hold.setAttribute("data-hold", body.hold);
          hold.textContent = "Holds " + body.hold + " credits for " + body.targets + " recipient(s); " +
            body.available + " available" + (body.enough ? "." : ": not enough.");
          confirm.disabled = !body.enough;
        });
    });
  });
})();

/* Test voice on a campaign page: posts the panel's inputs (with the page's CSRF token)
   and plays the WAV it answers. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-tt-voice]").forEach(function (panel) {
      var button = panel.querySelector("#tt-voice-play");
      var audio = panel.querySelector("audio");
      var error = panel.querySelector(".tt-voice-error");
      button.addEventListener("click", function () {
        var data = new FormData();
        var token = document.querySelector("input[name=csrfmiddlewaretoken]");
        data.append("csrfmiddlewaretoken", token ? token.value : "");
        data.append("message", panel.querySelector("[name=tt_voice_message]").value);
        data.append("voice_input", panel.querySelector("[name=tt_voice_input]").value);
        data.append("length_factor", panel.querySelector("[name=tt_length_factor]").value);
        error.textContent = "…";
        fetch(panel.getAttribute("data-tt-voice"), { method: "POST", body: data, credentials: "same-origin" })
          .then(function (response) { return response.json(); })
          .then(function (body) {
            if (body.errors) { error.textContent = body.errors.join(" "); return; }
            error.textContent = "";
            audio.src = body.audio_url;
            audio.setAttribute("data-duration", body.duration);
            audio.play().catch(function () { /* headless or muted: the player is still there */ });
          });
      });
    });
  });
})();

/* List pages: the compact bars of one list (data-tt-batch) are refreshed together, one
   request per refresh for the active rows of the page. */
(function () {
  "use strict";
  var INTERVAL_MS = 3000;

  function refresh(url, boxes) {
    var active = boxes.filter(function (box) { return box.getAttribute("data-tt-active"); });
    if (!active.length) return;
    var ids = active.map(function (box) { return box.getAttribute("data-tt-key"); }).join(",");
    fetch(url + "?ids=" + ids, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(function (byKey) {
        active.forEach(function (box) {
          var data = byKey[box.getAttribute("data-tt-key")];
          if (data) window.ttFillProgress(box, data);
        });
        setTimeout(function () { refresh(url, boxes); }, INTERVAL_MS);
      })
      .catch(function () { setTimeout(function () { refresh(url, boxes); }, INTERVAL_MS * 3); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var groups = {};
    document.querySelectorAll("[data-tt-batch]").forEach(function (box) {
      var url = box.getAttribute("data-tt-batch");
      if (url) (groups[url] = groups[url] || []).push(box);
    });
    Object.keys(groups).forEach(function (url) {
      setTimeout(function () { refresh(url, groups[url]); }, INTERVAL_MS);
    });
  });
})();
