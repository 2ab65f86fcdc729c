// A picker that offers only the records of another field's choice (the engagement form's contacts: the
// people of the organisation chosen above it). Its select carries data-limit-by="<that field's name>"; each
// search the picker sends (select2, through jQuery) gets that field's current value as one more parameter,
// and the server answers with that organisation's people (members.admin.ContactAdmin).
// Set up once the page's scripts have run: the admin's jQuery (django.jQuery) may load after this file.
(function () {
  "use strict";

  function pickerFor(params) {
    var pickers = document.querySelectorAll("select[data-limit-by]");
    for (var i = 0; i < pickers.length; i++) {
      var data = pickers[i].dataset;
      if (
        data.appLabel === params.get("app_label") &&
        data.modelName === params.get("model_name") &&
        data.fieldName === params.get("field_name")
      ) {
        return pickers[i];
      }
    }
    return null;
  }

  function limitSearches() {
    if (!window.django || !window.django.jQuery || !window.URLSearchParams) return;
    window.django.jQuery.ajaxPrefilter(function (options) {
      if (typeof options.data !== "string" || options.data.indexOf("field_name=") === -1) return;
      var params = new URLSearchParams(options.data);
      var picker = pickerFor(params);
      if (!picker) return;
      var name = picker.getAttribute("data-limit-by");
      var field = picker.form && picker.form.elements.namedItem(name);
      params.set(name, field && field.value ? field.value : "");
      options.data = params.toString();
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", limitSearches);
  } else {
    limitSearches();
  }
})();
