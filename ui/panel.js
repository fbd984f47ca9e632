// js_on_load of the sources panel (a gr.HTML). `element`, `trigger` and `watch` come from Gradio.
// Any citation link on the page (href="#cite-...") opens its article here via a Python event.
const openCitation = (event) => {
  const link = event.target instanceof Element ? event.target.closest('a[href^="#cite-"]') : null;
  if (!link) return;
  event.preventDefault();
  event.stopPropagation();
  document.querySelectorAll("a.cite.active").forEach((a) => a.classList.remove("active"));
  link.classList.add("active");
  trigger("click", { ref: link.getAttribute("href").slice("#cite-".length) });
};
if (window.__briefingCitations) {
  document.removeEventListener("click", window.__briefingCitations, true);
}
window.__briefingCitations = openCitation;
document.addEventListener("click", openCitation, true);

// After the panel shows an article, bring the highlighted quote into view. Side by side with
// the chat (wide screens) the sticky column scrolls by itself, a third of the way down; stacked
// below the chat (phones, ~390 px) the page scrolls to the highlight, which would otherwise
// load far below the citation that was clicked.
// A new answer's passage list (no highlight) starts at its top, not where the last article
// was scrolled to.
watch("value", () => {
  const mark = element.querySelector("mark.cited, mark.passage");
  const column = element.closest("#sources-column");
  if (!column) return;
  if (!mark) {
    column.scrollTo({ top: 0 });
    return;
  }
  const box = column.getBoundingClientRect();
  const beside = box.top >= 0 && box.bottom <= window.innerHeight + 1 &&
    column.scrollHeight > column.clientHeight;
  if (beside) {
    const top = mark.getBoundingClientRect().top - box.top;
    column.scrollTo({ top: column.scrollTop + top - column.clientHeight / 3, behavior: "smooth" });
  } else {
    mark.scrollIntoView({ behavior: "smooth", block: "center" });
  }
});
