// Emo3D Book: point require.js at the vendored widget modules (served from _static/widgets/),
// so the static pages render ipywidgets and anywidget views with no CDN request.
(function () {
  var here = document.currentScript && document.currentScript.src;
  var base = here ? here.replace(/[^/]*$/, "") : "_static/widgets/";
  // Font Awesome files of the widget CSS: resolved against this path, not the page's root.
  window.__jupyter_widgets_assets_path__ = base + "html-manager/";
  window.requirejs.config({
    paths: {
      // embed-amd.js defines the @jupyter-widgets modules inline; their webpack public path
      // (the widget CSS fonts) comes from the module's URL: map them to the font folder.
      "@jupyter-widgets": base + "html-manager",
      "@jupyter-widgets/html-manager/dist": base + "html-manager",
      "anywidget": base + "anywidget/index",
    },
  });
})();
