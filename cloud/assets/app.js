// BenchSight dashboard: filters for the shot map and the event timeline, and the clip player.
// Server-rendered pages work without it; it only hides and shows what is already there.
"use strict";

function applyFilters(bar) {
  const target = document.getElementById(bar.dataset.filterTarget);
  if (!target) return;
  const wanted = {};
  bar.querySelectorAll("[data-filter]").forEach((select) => {
    if (select.value) wanted[select.dataset.filter] = select.value;
  });
  target.querySelectorAll(".shot, tbody tr").forEach((item) => {
    const shown = Object.entries(wanted).every(([key, value]) => item.dataset[key] === value);
    item.toggleAttribute("hidden", !shown);
    if (item.tagName === "circle") item.style.display = shown ? "" : "none";
  });
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-filter-target]").forEach((bar) => {
    bar.addEventListener("change", () => applyFilters(bar));
  });
  const player = document.getElementById("clip");
  document.querySelectorAll("button.play").forEach((button) => {
    button.addEventListener("click", () => {
      player.hidden = false;
      player.src = button.dataset.clip;
      player.play().catch(() => {});
    });
  });
});

// A game's live section: Server-Sent Events from /api/v1/games/{id}/live update the score and
// list the latest events; the browser reconnects by itself when the stream drops.
document.addEventListener("DOMContentLoaded", () => {
  const live = document.getElementById("live");
  if (!live) return;
  const state = document.getElementById("live-state");
  const latest = document.getElementById("latest");
  const score = document.getElementById("score");
  const source = new EventSource(live.dataset.source);
  source.addEventListener("open", () => { state.textContent = "live"; });
  source.addEventListener("error", () => { state.textContent = "reconnecting…"; });
  source.addEventListener("game", (message) => {
    const update = JSON.parse(message.data);
    score.textContent = update.home_goals + " – " + update.away_goals;
    score.dataset.home = update.home_goals;
    score.dataset.away = update.away_goals;
    latest.replaceChildren(...update.events.slice().reverse().map((event) => {
      const item = document.createElement("li");
      item.dataset.event = event.event_id;
      item.dataset.type = event.type;
      const time = event.media_time_ms == null ? "" : Math.floor(event.media_time_ms / 60000) + ":" +
        String(Math.floor(event.media_time_ms / 1000) % 60).padStart(2, "0");
      item.textContent = [time, event.type, event.detail1 || "", event.team || "",
        event.review_status === "accepted" ? "" : "(" + event.review_status + ")"].join(" ");
      return item;
    }));
  });
});

// The settings page's tracker import: the chosen file goes to the API as it is, with the
// session's CSRF token; the answer says what was stored.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("import");
  if (!form) return;
  const result = document.getElementById("import-result");
  form.addEventListener("submit", async (submit) => {
    submit.preventDefault();
    const file = form.querySelector("input[type=file]").files[0];
    if (!file) return;
    result.textContent = "Importing " + file.name + "…";
    try {
      const answer = await fetch("/api/v1/imports", {
        method: "POST",
        headers: { "content-type": "application/json", "x-csrf-token": form.dataset.csrf },
        body: file,
      });
      const body = await answer.json();
      if (!answer.ok) {
        result.textContent = "Not imported: " + body.error;
        return;
      }
      result.replaceChildren("Game ", Object.assign(document.createElement("a"), {
        href: "/games/" + encodeURIComponent(body.game_id), textContent: body.game_id,
      }), ": " + body.events_added + " events added (" + body.events_total + " in the file).");
      result.dataset.game = body.game_id;
    } catch (error) {
      result.textContent = "Not imported: " + error;
    }
  });
});
