// ARIA tabs: click or arrow keys to switch; only the selected tab is in the Tab order.

/** @param {HTMLElement} tablist */
export function setUpTabs(tablist) {
  const tabs = [...tablist.querySelectorAll('[role="tab"]')];

  const select = (id, { focus = false } = {}) => {
    for (const tab of tabs) {
      const selected = tab.id === id;
      tab.setAttribute("aria-selected", String(selected));
      tab.tabIndex = selected ? 0 : -1;
      document.getElementById(tab.getAttribute("aria-controls")).hidden = !selected;
      if (selected && focus) tab.focus();
    }
    tablist.dispatchEvent(new CustomEvent("tabchange", { detail: id }));
  };

  for (const tab of tabs) {
    tab.addEventListener("click", () => select(tab.id));
    tab.addEventListener("keydown", (event) => {
      const index = tabs.indexOf(tab);
      let next = null;
      if (event.key === "ArrowRight" || event.key === "ArrowDown") next = tabs[(index + 1) % tabs.length];
      else if (event.key === "ArrowLeft" || event.key === "ArrowUp") next = tabs[(index - 1 + tabs.length) % tabs.length];
      else if (event.key === "Home") next = tabs[0];
      else if (event.key === "End") next = tabs[tabs.length - 1];
      if (next) {
        event.preventDefault();
        select(next.id, { focus: true });
      }
    });
  }
  return { select };
}
