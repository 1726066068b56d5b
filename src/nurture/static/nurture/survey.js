// Save each answer the moment it is chosen, so an answer ticked but not yet sent is
// never lost when the page is closed. Progressive enhancement: without JavaScript the
// page's own buttons save everything, as before.
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave]");
  if (!form || !window.fetch || !window.FormData) return;
  var status = document.getElementById("autosave-status");
  var pass = form.querySelector("[name=link_pass]");  // lets her through a blocked shared network
  function say(text) { if (status) status.textContent = text; }
  function save(field) {
    var body = new FormData();
    body.append("link_pass", pass ? pass.value : "");
    body.append("item", field.name);
    body.append("value", field.value);
    fetch(form.getAttribute("data-autosave"), {method: "POST", body: body, credentials: "same-origin"})
      .then(function (response) {
        return response.json().then(function (data) { return {ok: response.ok, data: data}; });
      })
      .then(function (result) {
        say(result.ok ? form.getAttribute("data-saved") : (result.data.error || form.getAttribute("data-unsaved")));
        if (result.data.crisis_html) { showHelp(field, result.data.crisis_html); }
      })
      .catch(function () { say(form.getAttribute("data-unsaved")); });
  }
  // A risk answer brings the help to her at once, under the question, where she can
  // call or text and then keep answering; the full crisis page follows the page's save.
  // Answers are saved in parallel, so the reply to an earlier answer may come after the
  // one that brought the help: the same help is then left as it is (no jump, no refocus).
  var shown = null;
  function showHelp(field, html) {
    if (html === shown && document.getElementById("crisis-panel")) return;
    shown = html;
    var panel = document.getElementById("crisis-panel");
    if (!panel) {
      panel = document.createElement("div");
      panel.id = "crisis-panel";
      panel.setAttribute("role", "alert");
      var question = field.closest(".question") || field;
      question.parentNode.insertBefore(panel, question.nextSibling);
    }
    panel.innerHTML = html;
    var heading = panel.querySelector("h2");
    if (heading) { heading.focus(); }
    panel.scrollIntoView({block: "start"});
  }
  form.addEventListener("change", function (event) {
    var field = event.target;
    if (field.name && field.name.indexOf("item-") === 0 && (field.type === "radio" || field.tagName === "TEXTAREA")) {
      save(field);
    }
  });
})();
