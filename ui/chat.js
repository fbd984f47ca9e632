// Run once on page load (mount_gradio_app js=). Keeps the asked question in view: when a new
// question appears in the chat, and again when its answer arrives, the chat scrolls so that the
// question sits at the top of the chat (the answer below it), instead of scrolling to the end of
// the answer. Gradio's own autoscroll is off (gr.Chatbot(autoscroll=False)).
() => {
  let pinned = "";
  const scroller = (el) => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      const y = getComputedStyle(p).overflowY;
      if ((y === "auto" || y === "scroll") && p.scrollHeight > p.clientHeight) return p;
    }
    return null;
  };
  const pin = () => {
    const chat = document.querySelector("#chat");
    const questions = chat ? chat.querySelectorAll(".question") : [];
    if (!questions.length) {
      pinned = "";
      return;
    }
    const answers = chat.querySelectorAll(".answer");
    const last = answers[answers.length - 1];
    const done = answers.length >= questions.length && last && !last.matches(".streaming") &&
      !last.querySelector(".pending");
    const state = `${questions.length}:${done ? "done" : "waiting"}`;
    if (state === pinned) return;
    pinned = state;
    const question = questions[questions.length - 1];
    const box = scroller(question);
    if (box) {
      const gap = question.getBoundingClientRect().top - box.getBoundingClientRect().top;
      box.scrollTop += gap - 8;
    }
    const top = question.getBoundingClientRect().top;
    if (top < 0 || top > window.innerHeight - 60) {  // the chat itself is off screen (phones)
      window.scrollBy(0, top - 8);
    }
  };
  // Gradio's chatbot gives each message its HTML as aria-label: a screen reader would read
  // the markup. The accessible name is the message's text instead.
  // Each label is rewritten once: the element remembers what was written ("Is inflation <
  // 3%?" still holds "<"), and only a new label from Gradio is rewritten again.
  const relabel = () => {
    document.querySelectorAll('#chat [aria-label*="<"]').forEach((el) => {
      const label = el.getAttribute("aria-label");
      if (label === el.dataset.textLabel) return;
      const who = (label.match(/^([^<:]{1,40}:\s+)/) || ["", ""])[1];  // "user's message: "
      const text = (el.innerText || el.textContent || "").replace(/\s+/g, " ").trim();
      el.dataset.textLabel = who + text.slice(0, 600);
      el.setAttribute("aria-label", el.dataset.textLabel);
    });
  };
  new MutationObserver(() => requestAnimationFrame(() => { pin(); relabel(); })).observe(
    document.body,
    { childList: true, subtree: true, attributes: true, attributeFilter: ["aria-label"] },
  );

  // A date filter the picker cannot read ("last week") is sent as no filter at all; asking
  // then would answer without it, silently. So a question is held back, with a message, while
  // a date box holds text that is not a date.
  const DATES = [["since", "Published since"], ["until", "Published until"], ["as-of", "As of"]];
  const unreadable = () => DATES.filter(([id]) => {
    const input = document.querySelector(`#${id} input.time`);
    return input && input.value.trim() && input.classList.contains("invalid");
  });
  const hold = (event) => {
    const bad = unreadable();
    let note = document.querySelector("#date-error");
    if (!bad.length) {
      if (note) note.remove();
      return;
    }
    event.preventDefault();
    event.stopImmediatePropagation();
    if (!note) {
      note = document.createElement("p");
      note.id = "date-error";
      note.setAttribute("role", "alert");
      document.querySelector("#question").insertAdjacentElement("afterend", note);
    }
    note.textContent = bad.map(([id, label]) =>
      `${label}: “${document.querySelector(`#${id} input.time`).value.trim()}” is not a date`
    ).join("; ") + ". Use YYYY-MM-DD (Filters), or clear it.";
  };
  document.addEventListener("click", (event) => {
    if (event.target instanceof Element && event.target.closest("#ask")) hold(event);
  }, true);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && event.target instanceof Element &&
        event.target.closest("#question")) hold(event);
  }, true);
}
