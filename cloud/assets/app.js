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
