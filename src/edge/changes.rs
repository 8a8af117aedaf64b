//! Which platform records changed between two loads of a tenant's data, as
//! the keys of `deps.json` (`pages::Shows::keys`): the edge renders again
//! only the pages that show one of them.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::platform::PlatformData;

/// The keys whose records differ between `old` and `new`:
/// - `tenant` when the tenant's own record changed;
/// - `member:<id>` for each profile added, removed or changed, and
///   `members` when any did or their order changed (the roster shows each);
/// - `leg:<id>` for each leg added, removed or changed, every leg of a tour
///   whose own fields changed (leg pages show the tour), and `tours` when
///   anything of the tours changed.
pub fn changed(old: &PlatformData, new: &PlatformData) -> BTreeSet<String> {
    // Compared as pages show them: with the URLs the build gives legs,
    // which depend on their siblings (a removed leg can hand its URL, or a
    // `-2`, to another).
    let (mut old, mut new) = (old.clone(), new.clone());
    crate::pages::legs::assign_urls(&mut old);
    crate::pages::legs::assign_urls(&mut new);
    let (old, new) = (&old, &new);
    let mut keys = BTreeSet::new();
    if json(&old.tenant) != json(&new.tenant) {
        keys.insert("tenant".to_string());
    }

    let ids = |d: &PlatformData| d.profiles.iter().map(|p| p.id.clone()).collect::<Vec<_>>();
    let profiles = |d: &PlatformData| -> BTreeMap<String, serde_json::Value> {
        d.profiles.iter().map(|p| (p.id.clone(), json(p))).collect()
    };
    let (a, b) = (profiles(old), profiles(new));
    for id in a.keys().chain(b.keys()) {
        if a.get(id) != b.get(id) {
            keys.insert(format!("member:{id}"));
        }
    }
    if a != b || ids(old) != ids(new) {
        keys.insert("members".to_string());
    }

    // A tour's own fields (legs aside), and each leg with its tour's id.
    let tours = |d: &PlatformData| -> BTreeMap<String, serde_json::Value> {
        d.tours
            .iter()
            .map(|t| {
                let mut v = json(t);
                if let Some(o) = v.as_object_mut() {
                    o.remove("legs");
                }
                (t.id.clone(), v)
            })
            .collect()
    };
    let legs = |d: &PlatformData| -> BTreeMap<String, (String, serde_json::Value)> {
        d.tours
            .iter()
            .flat_map(|t| {
                t.legs
                    .iter()
                    .map(move |l| (l.id.clone(), (t.id.clone(), json(l))))
            })
            .collect()
    };
    let order = |d: &PlatformData| -> Vec<(String, Vec<String>)> {
        d.tours
            .iter()
            .map(|t| (t.id.clone(), t.legs.iter().map(|l| l.id.clone()).collect()))
            .collect()
    };
    let (ta, tb) = (tours(old), tours(new));
    let (la, lb) = (legs(old), legs(new));
    let changed_tours: BTreeSet<&String> = ta
        .keys()
        .chain(tb.keys())
        .filter(|id| ta.get(*id) != tb.get(*id))
        .collect();
    for (id, (tour, _)) in la.iter().chain(lb.iter()) {
        if la.get(id) != lb.get(id) || changed_tours.contains(tour) {
            keys.insert(format!("leg:{id}"));
        }
    }
    if !changed_tours.is_empty() || la != lb || order(old) != order(new) {
        keys.insert("tours".to_string());
    }
    keys
}

fn json(v: &impl Serialize) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(profiles: serde_json::Value, tours: serde_json::Value) -> PlatformData {
        let tenant = serde_json::json!({"id": "org_1", "kind": "org", "slug": "o", "name": "O"});
        PlatformData {
            tenant: serde_json::from_value(tenant).unwrap(),
            profiles: serde_json::from_value(profiles).unwrap(),
            tours: serde_json::from_value(tours).unwrap(),
            stale: vec![],
            warnings: vec![],
        }
    }

    fn profile(id: &str, name: &str) -> serde_json::Value {
        serde_json::json!({"id": id, "slug": id, "display_name": name, "shared_publicly": true})
    }

    fn tour(title: &str, legs: &[(&str, &str)]) -> serde_json::Value {
        let legs: Vec<serde_json::Value> = legs
            .iter()
            .map(|(id, status)| {
                serde_json::json!({"id": id, "city": id, "country": "FR",
                "start_date": "2027-01-01", "end_date": "2027-01-02", "status": status})
            })
            .collect();
        serde_json::json!([{"id": "t1", "slug": "t", "title": title, "legs": legs}])
    }

    fn keys(k: &[&str]) -> BTreeSet<String> {
        k.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn changes_are_named_by_the_records_pages_show() {
        let base = data(
            serde_json::json!([profile("p1", "Ann"), profile("p2", "Bo")]),
            tour("T", &[("l1", "open"), ("l2", "open")]),
        );
        assert_eq!(changed(&base, &base.clone()), keys(&[]));
        let renamed = data(
            serde_json::json!([profile("p1", "Ann"), profile("p2", "Bob")]),
            tour("T", &[("l1", "open"), ("l2", "open")]),
        );
        assert_eq!(changed(&base, &renamed), keys(&["member:p2", "members"]));
        let gone = data(
            serde_json::json!([profile("p1", "Ann")]),
            tour("T", &[("l1", "open"), ("l2", "open")]),
        );
        assert_eq!(changed(&base, &gone), keys(&["member:p2", "members"]));
        let reordered = data(
            serde_json::json!([profile("p2", "Bo"), profile("p1", "Ann")]),
            tour("T", &[("l1", "open"), ("l2", "open")]),
        );
        assert_eq!(changed(&base, &reordered), keys(&["members"]));
        let full = data(
            serde_json::json!([profile("p1", "Ann"), profile("p2", "Bo")]),
            tour("T", &[("l1", "open"), ("l2", "full")]),
        );
        assert_eq!(changed(&base, &full), keys(&["leg:l2", "tours"]));
        let added = data(
            serde_json::json!([profile("p1", "Ann"), profile("p2", "Bo")]),
            tour("T", &[("l1", "open"), ("l2", "open"), ("l3", "open")]),
        );
        assert_eq!(changed(&base, &added), keys(&["leg:l3", "tours"]));
        let retitled = data(
            serde_json::json!([profile("p1", "Ann"), profile("p2", "Bo")]),
            tour("T2", &[("l1", "open"), ("l2", "open")]),
        );
        assert_eq!(
            changed(&base, &retitled),
            keys(&["leg:l1", "leg:l2", "tours"])
        );
        let mut tenant = base.clone();
        tenant.tenant.name = "Other".into();
        assert_eq!(changed(&base, &tenant), keys(&["tenant"]));
        // Two legs in one city: each URL carries its date. Once one goes,
        // the other takes the plain URL: its page moves, so it is changed.
        let twice = data(
            serde_json::json!([]),
            serde_json::json!([{"id": "t1", "slug": "t", "title": "T", "legs": [
                {"id": "a", "city": "Graz", "country": "AT", "start_date": "2027-08-01", "end_date": "2027-08-01", "status": "open"},
                {"id": "b", "city": "Graz", "country": "AT", "start_date": "2027-09-01", "end_date": "2027-09-01", "status": "open"}]}]),
        );
        let once = data(
            serde_json::json!([]),
            serde_json::json!([{"id": "t1", "slug": "t", "title": "T", "legs": [
                {"id": "b", "city": "Graz", "country": "AT", "start_date": "2027-09-01", "end_date": "2027-09-01", "status": "open"}]}]),
        );
        assert_eq!(changed(&twice, &once), keys(&["leg:a", "leg:b", "tours"]));
    }
}
