// The Palisade console's only script. It calls the JSON API under /api/v1
// (the session cookie and the page's CSRF token authenticate it), keeps the
// runtime lists live from /runtime/stream, and never puts data into the page
// as markup: text goes in through textContent; the stream's rows are markup
// made by the server's escaping templates.
"use strict";

(function () {
  const csrf = () => {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  };

  const announce = (message) => {
    const region = document.getElementById("announce");
    if (region) {
      region.textContent = message;
    }
  };

  async function api(method, path, body) {
    const response = await fetch(path, {
      method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let answer = null;
    try {
      answer = await response.json();
    } catch (_) {
      answer = null;
    }
    if (!response.ok) {
      const reason = answer && answer.error ? answer.error : response.statusText;
      throw new Error(reason);
    }
    return answer;
  }

  const rulePath = (rule) => "/api/v1/rules/" + encodeURIComponent(rule);

  // The rules table: enable/disable and alert-only switches.
  function showRule(row, state) {
    const enabled = row.querySelector('button[data-action="enabled"]');
    const mode = row.querySelector('button[data-action="mode"]');
    row.querySelector(".state").textContent = state.enabled ? "enabled" : "disabled";
    enabled.textContent = state.enabled ? "Disable" : "Enable";
    enabled.dataset.value = state.enabled ? "false" : "true";
    enabled.setAttribute("aria-label", (state.enabled ? "Disable " : "Enable ") + state.name);
    const observing = state.mode === "observe";
    row.querySelector(".mode").textContent = observing ? "alert-only" : "alert";
    mode.textContent = observing ? "Escalate again" : "Alert-only";
    mode.dataset.value = observing ? "alert" : "observe";
    mode.setAttribute("aria-label", (observing ? "Escalate again: " : "Alert-only: ") + state.name);
  }

  // The tags table: a tag switched off stops its rules' alerts.
  async function switchTag(button) {
    const tag = button.dataset.tag;
    button.disabled = true;
    try {
      const state = await api("PUT", "/api/v1/tags/" + encodeURIComponent(tag),
        { enabled: button.dataset.value === "true" });
      const row = button.closest("tr");
      row.querySelector(".state").textContent = state.enabled ? "on" : "off";
      button.textContent = state.enabled ? "Switch off" : "Switch on";
      button.dataset.value = state.enabled ? "false" : "true";
      button.setAttribute("aria-label", (state.enabled ? "Switch off the tag " : "Switch on the tag ") + state.name);
      announce("Tag " + state.name + " (" + state.rules + " rules): " + (state.enabled ? "on" : "off"));
    } catch (error) {
      announce("Could not switch the tag " + tag + ": " + error.message);
    } finally {
      button.disabled = false;
    }
  }

  document.addEventListener("click", async (event) => {
    if (event.target.closest("#logout")) {
      await fetch("/logout", { method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrf() } });
      location.href = "/login";
      return;
    }
    const button = event.target.closest("button[data-action]");
    if (!button) {
      return;
    }
    if (button.dataset.action === "tag") {
      await switchTag(button);
      return;
    }
    const rule = button.dataset.rule;
    const change = button.dataset.action === "enabled"
      ? { enabled: button.dataset.value === "true" }
      : { mode: button.dataset.value };
    button.disabled = true;
    try {
      const state = await api("PUT", rulePath(rule), change);
      showRule(button.closest("tr"), state);
      announce("Rule " + state.name + ": " + (state.enabled ? "enabled" : "disabled") +
        ", " + (state.mode === "observe" ? "alert-only" : "alerting"));
    } catch (error) {
      announce("Could not change " + rule + ": " + error.message);
    } finally {
      button.disabled = false;
    }
  });

  // An exception pre-filled from an alert.
  document.addEventListener("submit", async (event) => {
    const form = event.target.closest("form.exception");
    if (!form) {
      return;
    }
    event.preventDefault();
    const rule = form.dataset.rule;
    const fields = [];
    const values = [];
    for (const field of form.querySelectorAll(".field")) {
      const box = field.querySelector('input[type="checkbox"]');
      if (box.checked) {
        fields.push(box.value);
        values.push(field.querySelector('input[type="text"]').value);
      }
    }
    if (fields.length === 0) {
      announce("Choose at least one field for the exception");
      return;
    }
    try {
      const answer = await api("POST", rulePath(rule) + "/exceptions", {
        fields,
        comps: fields.map(() => "="),
        values: [values],
      });
      for (const row of document.querySelectorAll("#rules tr[data-rule]")) {
        if (row.dataset.rule === rule) {
          row.querySelector(".exceptions").textContent = String(answer.exceptions);
        }
      }
      form.closest("details").open = false;
      announce("Exception added to " + rule + " (" + answer.exceptions + " in all)");
    } catch (error) {
      announce("Could not add the exception: " + error.message);
    }
  });

  // The live stream: rows of both lists, newest first, at most one page.
  const PAGE = 50;
  function place(item) {
    const table = document.getElementById(item.routed);
    if (!table) {
      return;
    }
    const body = table.tBodies[0];
    const template = document.createElement("template");
    template.innerHTML = item.html.trim(); // escaped by the server's templates
    const row = template.content.firstElementChild;
    const old = document.querySelector('tr[data-alert="' + Number(item.id) + '"]');
    const count = (r) => r.querySelector(".count").textContent;
    if (!old) {
      row.classList.add("fresh");
      body.appendChild(row);
    } else if (count(old) === count(row) && old.dataset.lastSeen === row.dataset.lastSeen) {
      return; // the first send repeats what the page shows
    } else if (old.querySelector("details[open]")) {
      // Someone is writing an exception here: keep the form, update the figures.
      for (const cell of [".count", ".last-seen"]) {
        old.querySelector(cell).replaceWith(row.querySelector(cell));
      }
      old.dataset.lastSeen = row.dataset.lastSeen;
    } else {
      if (count(old) !== count(row)) {
        row.classList.add("fresh");
      }
      old.replaceWith(row);
    }
    const rows = Array.from(body.rows);
    rows.sort((a, b) => Number(b.dataset.lastSeen) - Number(a.dataset.lastSeen) ||
      Number(b.dataset.alert) - Number(a.dataset.alert));
    rows.forEach((r, i) => (i < PAGE ? body.appendChild(r) : r.remove()));
    const empty = document.querySelector('p.empty[data-for="' + item.routed + '"]');
    if (empty) {
      empty.remove();
    }
  }

  if (document.getElementById("oncall") && !/_before=/.test(location.search) && window.EventSource) {
    const source = new EventSource("/runtime/stream");
    source.addEventListener("alerts", (event) => {
      for (const item of JSON.parse(event.data)) {
        place(item);
      }
      document.body.dataset.streamed = String(Number(document.body.dataset.streamed || 0) + 1);
    });
  }
})();
