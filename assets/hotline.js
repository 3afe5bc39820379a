/* Hotline page: how the hotspot layer (one dl.GeoJSON of points) draws a point. Everything local. */
(function () {
  "use strict";
  window.cityVitalsHotline = {
    // A circle in the marker pane (above the unit outlines, which would otherwise take the clicks),
    // its radius computed on the server from the hotspot's recurrence.
    hotPoint: function (feature, latlng) {
      var p = feature.properties || {};
      return L.circleMarker(latlng, {pane: "markerPane", radius: p.r || 5, color: "#b02a37", fillColor: "#e34a33",
                                     fillOpacity: 0.6, weight: 1});
    }
  };
})();
