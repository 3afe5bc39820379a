/* Row detail panel (/cases, /hotline): how its small map draws the row's point. Everything local. */
(function () {
  "use strict";
  window.cityVitalsDetail = {
    // a circle, not Leaflet's default marker (its icon images would be fetched from elsewhere)
    point: function (feature, latlng) {
      return L.circleMarker(latlng, {pane: "markerPane", radius: 9, color: "#7f1d1d", fillColor: "#d62728",
                                     fillOpacity: 0.85, weight: 2, className: "cv-detail-marker"});
    }
  };
})();
