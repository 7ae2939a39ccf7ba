// The article page's « Cet article a-t-il été utile ? » (web/help.py renders the page, in the
// reader's language, with the texts this module shows as data-* attributes of the form).
// Anonymous: no session is sent. « Oui » is posted at once; « Non » opens the reasons and the
// comment, posted together once at least one reason is ticked.

const form = document.getElementById("feedback");
const more = document.getElementById("feedback-more");
const outcome = document.getElementById("feedback-outcome");

function say(text, problem = false) {
  outcome.textContent = text;
  outcome.className = problem ? "problem" : "done";
}

async function send(body) {
  const buttons = form.querySelectorAll("button");
  buttons.forEach((button) => { button.disabled = true; });
  try {
    const response = await fetch(form.getAttribute("action"), {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ ...body, lang: document.documentElement.lang }),
      credentials: "omit",
    });
    if (response.status === 429) return say(form.dataset.throttled, true);
    if (!response.ok) return say(form.dataset.failed, true);
    form.querySelectorAll(".help-vote, #feedback-more").forEach((part) => { part.hidden = true; });
    say(body.helpful ? form.dataset.thanks : form.dataset.sent);
  } catch {
    say(form.dataset.failed, true);
  } finally {
    buttons.forEach((button) => { button.disabled = false; });
  }
}

if (form) {
  form.querySelectorAll("button[name=helpful]").forEach((button) => {
    button.addEventListener("click", () => {
      form.querySelectorAll("button[name=helpful]").forEach((other) => {
        other.setAttribute("aria-pressed", String(other === button));
      });
      if (button.value === "yes") {
        send({ helpful: true });
      } else {
        more.hidden = false;
        outcome.textContent = "";
        more.querySelector("input")?.focus();
      }
    });
  });
  more.addEventListener("change", () => {
    if (outcome.textContent === form.dataset.pick) outcome.textContent = "";
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const reasons = data.getAll("reason");
    if (reasons.length === 0) return say(form.dataset.pick, true);
    send({ helpful: false, reasons, comment: String(data.get("comment") || "").trim() });
  });
}
