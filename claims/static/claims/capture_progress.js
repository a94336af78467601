// Keeps the "archive" column of a claim's sources current while captures run.
// The admin loads it in <head>, so it starts once the page has been parsed.
"use strict";
function watchCaptures() {
  const busy = () => document.querySelector(".fc-capture--pending, .fc-capture--running");
  if (!document.querySelector(".fc-capture[data-source]")) return;
  const url = window.location.pathname.replace(/change\/?$/, "capture-progress/");

  async function refresh() {
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const states = await response.json();
    for (const [source, html] of Object.entries(states)) {
      const cell = document.querySelector(`.fc-capture[data-source="${source}"]`);
      if (cell) cell.parentElement.innerHTML = html;
    }
  }

  async function poll() {
    if (!busy()) return;
    try {
      await refresh();
    } finally {
      window.setTimeout(poll, 2000);
    }
  }
  window.setTimeout(poll, 2000);
}
if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", watchCaptures);
} else {
  watchCaptures();
}
