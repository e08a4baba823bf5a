//! Geography: validated WGS84 points, great-circle distance, bounding boxes and grid cells.
//!
//! `geo::Point` puts longitude in x and latitude in y; [`LatLon::to_point`] is the only place
//! that converts, so the two can never be swapped by accident elsewhere.

use geo::{Distance, Haversine, Point};
use serde::{Deserialize, Serialize};

/// Finland's bounding box as the import format defines it.
pub const FINLAND_LAT: (f64, f64) = (59.3, 70.2);
pub const FINLAND_LON: (f64, f64) = (19.0, 31.6);

/// Mean earth radius in metres (the one `geo` uses for haversine).
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GeoError {
    #[error("latitude must be a finite number between -90 and 90, got {0}")]
    Latitude(f64),
    #[error("longitude must be a finite number between -180 and 180, got {0}")]
    Longitude(f64),
    #[error("point {lat},{lon} lies outside Finland (lat 59.3..70.2, lon 19.0..31.6)")]
    OutsideFinland { lat: f64, lon: f64 },
}

/// A validated WGS84 point.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawLatLon")]
pub struct LatLon {
    lat: f64,
    lon: f64,
}

#[derive(Deserialize)]
struct RawLatLon {
    lat: f64,
    lon: f64,
}

impl TryFrom<RawLatLon> for LatLon {
    type Error = GeoError;
    fn try_from(raw: RawLatLon) -> Result<Self, Self::Error> {
        LatLon::new(raw.lat, raw.lon)
    }
}

impl LatLon {
    /// A point anywhere on earth; rejects NaN, infinities and out-of-range values.
    pub fn new(lat: f64, lon: f64) -> Result<Self, GeoError> {
        if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
            return Err(GeoError::Latitude(lat));
        }
        if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
            return Err(GeoError::Longitude(lon));
        }
        Ok(Self { lat, lon })
    }

    /// A point that must also lie inside Finland's bounding box (what records may carry).
    pub fn in_finland(lat: f64, lon: f64) -> Result<Self, GeoError> {
        let p = Self::new(lat, lon)?;
        if !(FINLAND_LAT.0..=FINLAND_LAT.1).contains(&lat)
            || !(FINLAND_LON.0..=FINLAND_LON.1).contains(&lon)
        {
            return Err(GeoError::OutsideFinland { lat, lon });
        }
        Ok(p)
    }

    pub fn lat(self) -> f64 {
        self.lat
    }

    pub fn lon(self) -> f64 {
        self.lon
    }

    /// The `geo` crate's point: x = longitude, y = latitude.
    pub fn to_point(self) -> Point<f64> {
        Point::new(self.lon, self.lat)
    }

    /// Great-circle distance in metres.
    pub fn distance_m(self, other: LatLon) -> f64 {
        Haversine.distance(self.to_point(), other.to_point())
    }

    /// Rounds to about 100 m (3 decimals of latitude), as the widget does before sending.
    pub fn rounded(self, decimals: i32) -> LatLon {
        let f = 10f64.powi(decimals);
        LatLon {
            lat: (self.lat * f).round() / f,
            lon: (self.lon * f).round() / f,
        }
    }
}

/// A latitude/longitude rectangle (not crossing the antimeridian, which Finland never needs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoundingBox {
    pub min_lat: f64,
    pub max_lat: f64,
    pub min_lon: f64,
    pub max_lon: f64,
}

impl BoundingBox {
    /// The smallest box that holds every point within `radius_m` of `center`.
    ///
    /// The longitude span uses the widest point of the circle (at the latitude nearest a pole),
    /// so it never cuts off a true hit; a small safety margin absorbs rounding.
    pub fn around(center: LatLon, radius_m: f64) -> BoundingBox {
        let radius_m = radius_m.max(0.0) * 1.0005 + 1.0;
        let dlat = (radius_m / EARTH_RADIUS_M).to_degrees();
        let min_lat = (center.lat - dlat).max(-90.0);
        let max_lat = (center.lat + dlat).min(90.0);
        let extreme_lat = min_lat.abs().max(max_lat.abs());
        let (min_lon, max_lon) = if extreme_lat >= 89.9 {
            (-180.0, 180.0)
        } else {
            // The exact half-width of a spherical cap: asin(sin(r) / cos(lat)).
            let ang = radius_m / EARTH_RADIUS_M;
            let s = ang.sin() / center.lat.to_radians().cos();
            let dlon = if s >= 1.0 {
                180.0
            } else {
                s.asin().to_degrees() * 1.001
            };
            (
                (center.lon - dlon).max(-180.0),
                (center.lon + dlon).min(180.0),
            )
        };
        BoundingBox {
            min_lat,
            max_lat,
            min_lon,
            max_lon,
        }
    }

    pub fn contains(&self, p: LatLon) -> bool {
        (self.min_lat..=self.max_lat).contains(&p.lat)
            && (self.min_lon..=self.max_lon).contains(&p.lon)
    }
}

/// Grid cells on the posting-list path: a point is indexed under the cell that holds it at a few
/// resolutions, and a radius query becomes a union of cell terms that covers its bounding box.
pub mod grid {
    use super::{BoundingBox, LatLon};

    /// Cell sizes in degrees of latitude (longitude cells are twice as wide, since a degree of
    /// longitude is about half as long in Finland). Coarsest first. The finest (about 1.4 km)
    /// keeps a small circle in a city centre from reading every point of a district.
    pub const LEVELS: [f64; 4] = [0.8, 0.2, 0.05, 0.0125];

    /// The most cells a query may expand to at one level before a coarser level is used.
    pub const MAX_CELLS: usize = 64;

    fn cell_of(level: usize, p: LatLon) -> (i64, i64) {
        let size = LEVELS[level];
        (
            (p.lat() / size).floor() as i64,
            (p.lon() / (2.0 * size)).floor() as i64,
        )
    }

    /// The area in km² of the cell that holds `p` at `level`.
    pub fn cell_area_km2(level: usize, p: LatLon) -> f64 {
        let km_per_degree = 1f64.to_radians() * super::EARTH_RADIUS_M / 1000.0;
        let height_km = LEVELS[level] * km_per_degree;
        let width_km = 2.0 * LEVELS[level] * km_per_degree * p.lat().to_radians().cos();
        height_km * width_km
    }

    /// The term a point is indexed under at `level`.
    pub fn cell_term(level: usize, p: LatLon) -> String {
        let (y, x) = cell_of(level, p);
        format!("{level}:{y}:{x}")
    }

    /// Every indexed term for a point, one per level.
    pub fn point_terms(p: LatLon) -> Vec<String> {
        (0..LEVELS.len()).map(|l| cell_term(l, p)).collect()
    }

    /// Cell terms that together cover `bbox`, at the finest level that needs at most
    /// [`MAX_CELLS`] cells.
    pub fn covering_terms(bbox: &BoundingBox) -> Vec<String> {
        for level in (0..LEVELS.len()).rev() {
            let size = LEVELS[level];
            let y0 = (bbox.min_lat / size).floor() as i64;
            let y1 = (bbox.max_lat / size).floor() as i64;
            let x0 = (bbox.min_lon / (2.0 * size)).floor() as i64;
            let x1 = (bbox.max_lon / (2.0 * size)).floor() as i64;
            let count = ((y1 - y0 + 1) * (x1 - x0 + 1)) as usize;
            if count <= MAX_CELLS || level == 0 {
                let mut out = Vec::with_capacity(count);
                for y in y0..=y1 {
                    for x in x0..=x1 {
                        out.push(format!("{level}:{y}:{x}"));
                    }
                }
                return out;
            }
        }
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rejects_nan_and_out_of_range() {
        assert!(LatLon::new(f64::NAN, 24.0).is_err());
        assert!(LatLon::new(60.0, f64::INFINITY).is_err());
        assert!(LatLon::new(91.0, 24.0).is_err());
        assert!(LatLon::in_finland(52.5, 13.4).is_err());
        assert!(LatLon::in_finland(60.17, 24.94).is_ok());
    }

    #[test]
    fn helsinki_to_turku_is_about_150_km() {
        let hki = LatLon::new(60.1699, 24.9384).unwrap();
        let tku = LatLon::new(60.4518, 22.2666).unwrap();
        let d = hki.distance_m(tku);
        assert!((149_000.0..152_000.0).contains(&d), "{d}");
    }

    #[test]
    fn point_keeps_lon_in_x() {
        let p = LatLon::new(61.0, 28.0).unwrap().to_point();
        assert_eq!(p.x(), 28.0);
        assert_eq!(p.y(), 61.0);
    }

    proptest! {
        /// The pre-filter (box and grid cells) never drops a true hit, from 60 to 70 degrees north.
        #[test]
        fn prefilter_never_drops_a_true_hit(
            lat in 60.0f64..70.0, lon in 19.0f64..31.6,
            radius_km in 0.1f64..100.0,
            bearing in 0.0f64..360.0, frac in 0.0f64..1.0,
        ) {
            let c = LatLon::new(lat, lon).unwrap();
            // A point at distance frac*radius along `bearing` (destination formula).
            let d = frac * radius_km * 1000.0 / EARTH_RADIUS_M;
            let (la, lo, b) = (lat.to_radians(), lon.to_radians(), bearing.to_radians());
            let la2 = (la.sin() * d.cos() + la.cos() * d.sin() * b.cos()).asin();
            let lo2 = lo + (b.sin() * d.sin() * la.cos()).atan2(d.cos() - la.sin() * la2.sin());
            let p = LatLon::new(la2.to_degrees(), lo2.to_degrees()).unwrap();
            prop_assume!(c.distance_m(p) <= radius_km * 1000.0);
            let bbox = BoundingBox::around(c, radius_km * 1000.0);
            prop_assert!(bbox.contains(p), "{:?} not in {:?}", p, bbox);
            let cells = grid::covering_terms(&bbox);
            let mine = grid::point_terms(p);
            prop_assert!(mine.iter().any(|t| cells.contains(t)));
        }

        #[test]
        fn distance_is_symmetric(a in 59.3f64..70.2, b in 19.0f64..31.6, c in 59.3f64..70.2, d in 19.0f64..31.6) {
            let p = LatLon::new(a, b).unwrap();
            let q = LatLon::new(c, d).unwrap();
            prop_assert!((p.distance_m(q) - q.distance_m(p)).abs() < 1e-6);
        }
    }
}
