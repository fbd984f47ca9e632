// Copy the last answer (plain text, passed in from a hidden textbox) to the clipboard.
(text) => {
  if (!text) return;
  const button = document.querySelector("#copy-answer");
  // said only once the text is on the clipboard: on the button, and to screen readers in a
  // polite live region next to it (emptied first, so a second copy is announced again)
  let status = document.querySelector("#copy-status");
  if (button && !status) {
    status = document.createElement("span");
    status.id = "copy-status";
    status.setAttribute("role", "status");
    status.className = "visually-hidden";
    button.insertAdjacentElement("afterend", status);
  }
  const say = (ok) => {
    if (status) status.textContent = "";
    setTimeout(() => {
      if (status) status.textContent = ok ? "Answer copied to the clipboard." : "Could not copy the answer.";
    }, 50);
    if (button && ok) {
      button.classList.add("copied");
      clearTimeout(window.__copiedTimer);  // a second copy keeps the mark its full time
      window.__copiedTimer = setTimeout(() => button.classList.remove("copied"), 2500);
    }
  };
  const fallback = () => {
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    let ok = false;
    try {
      ok = document.execCommand("copy");
    } catch (e) {
      ok = false;
    }
    area.remove();
    say(ok);
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(() => say(true), fallback);
  } else {
    fallback();
  }
}
