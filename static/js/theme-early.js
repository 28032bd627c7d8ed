// Before the first paint: the theme and code size chosen earlier, so the page does not flash.
(function () {
  try {
    var theme = localStorage.getItem("codex-ws.theme");
    if (theme !== "light" && theme !== "dark") {
      theme = window.matchMedia("(prefers-color-scheme: light)").matches ? "light" : "dark";
    }
    document.documentElement.dataset.theme = theme;
    var size = Number(localStorage.getItem("codex-ws.fontSize"));
    if (size >= 11 && size <= 24) document.documentElement.style.setProperty("--code-size", size + "px");
  } catch (error) {
    document.documentElement.dataset.theme = "dark";
  }
})();
