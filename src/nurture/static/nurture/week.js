// The week page's "All present" and "All delivered" buttons tick the boxes of their group
// here, without a round trip; the facilitator then changes the exceptions and saves the
// week once. Without JavaScript the same buttons save the page and tick them on the server.
(function () {
  "use strict";
  var form = document.querySelector("form[data-week]");
  if (!form) return;
  var status = document.getElementById("week-status");
  form.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-bulk]");
    if (!button) return;
    event.preventDefault();
    var group = button.closest(".group");
    var changed = 0;
    if (button.getAttribute("data-bulk") === "present") {
      group.querySelectorAll("li[data-active] fieldset").forEach(function (row) {
        if (row.querySelector("input:checked")) return;
        var present = row.querySelector("input[value=present]");
        if (present) { present.checked = true; changed += 1; }
      });
    } else {
      group.querySelectorAll("ul.fidelity input[type=checkbox]").forEach(function (box) {
        if (!box.checked) { box.checked = true; changed += 1; }
      });
    }
    if (status) {
      status.textContent = button.getAttribute("data-done").replace("%(n)s", changed);
    }
  });
})();
