// Keeps the "archive" column of a claim's sources current while captures run.
// The admin loads it in <head>, so it starts once the page has been parsed.
"use strict";
function watchCaptures() {
  const busy = () => document.querySelector(".fc-capture--pending, .fc-capture--running");
  if (!document.querySelector(".fc-capture[data-source]")) return;
  const url = window.location.pathname.replace(/change\/?$/, "capture-progress/");

  // Whether to go on: an error may pass, but a page that is not JSON is the
  // login page (the session ended), and asking again would not help.
  async function refresh() {
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    if (!response.ok) return true;
    const type = response.headers.get("Content-Type") || "";
    if (!type.startsWith("application/json")) return false;
    const states = await response.json();
    for (const [source, html] of Object.entries(states)) {
      const cell = document.querySelector(`.fc-capture[data-source="${source}"]`);
      if (cell) cell.parentElement.innerHTML = html;
    }
    return true;
  }

  async function poll() {
    if (!busy()) return;
    let again = true;
    try {
      again = await refresh();
    } finally {
      if (again) window.setTimeout(poll, 2000);
    }
  }
  window.setTimeout(poll, 2000);
}
if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", watchCaptures);
} else {
  watchCaptures();
}
