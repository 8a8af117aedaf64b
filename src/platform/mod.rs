//! Platform data: the only module that reads tenant data, today from the
//! `data/platform/<tenant-slug>/` snapshots (the same JSON the API serves).
//! Returns typed public view models that passed the tenant guard; raw JSON
//! never leaves this module.

pub mod guard;
pub mod model;

use std::path::Path;

use serde::de::DeserializeOwned;
use serde::Deserialize;

pub use model::{ExternalLink, LegStatus, PlatformData, Profile, Tenant, Tour, TourLeg};

use crate::config::{Site, Workspace};
use crate::error::{Error, Location, Result};
use crate::fsutil;

/// One page of a paginated list endpoint.
#[derive(Debug, Deserialize)]
struct Page<T> {
    items: Vec<T>,
    #[serde(default)]
    next: Option<String>,
}

/// Loads the site's tenant data from its snapshot folder and guards it.
pub fn load(ws: &Workspace, site: &Site) -> Result<PlatformData> {
    let tenant_ref = &site.config.tenant;
    let dir = ws.root.join("data/platform").join(tenant_ref.slug.as_str());
    if !dir.is_dir() {
        return Err(Error::platform(format!(
            "no platform data for tenant {tenant_ref}: {} does not exist",
            dir.display()
        ))
        .at(Location::file(&site.config_path).key("tenant"))
        .hint("run `sitegen fetch <domain>` or add a snapshot"));
    }
    let domain = site.domain();
    let mut tenant: Tenant = read_json(&dir.join("tenant.json"))?;
    guard::check_tenant(
        &guard::Source {
            domain,
            endpoint: "tenant.json",
        },
        tenant_ref,
        &tenant,
    )?;
    model::sanitize_links(&mut tenant.links);

    let profiles = read_list::<Profile>(&dir.join("profiles.json"))?;
    let mut profiles = guard::filter_profiles(
        &guard::Source {
            domain,
            endpoint: "profiles.json",
        },
        &tenant,
        profiles,
    )?;
    for p in &mut profiles {
        model::sanitize_links(&mut p.links);
        if crate::content::is_safe_segment(&p.slug) {
            continue;
        }
        return Err(
            Error::platform(format!("profile {:?} has an unusable slug", p.id))
                .at(Location::file(dir.join("profiles.json"))),
        );
    }
    profiles.sort_by(|a, b| a.display_name.cmp(&b.display_name));

    let tours = read_list::<Tour>(&dir.join("tours.json"))?;
    guard::check_tours(
        &guard::Source {
            domain,
            endpoint: "tours.json",
        },
        &tenant,
        &tours,
    )?;

    Ok(PlatformData {
        tenant,
        profiles,
        tours,
    })
}

fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let text = fsutil::read_to_string(path)?;
    serde_json::from_str(&text).map_err(|e| {
        Error::platform(format!("malformed platform data: {e}"))
            .at(Location::file(path).line(e.line()).column(e.column()))
    })
}

/// A list endpoint snapshot; a missing file is an empty list.
fn read_list<T: DeserializeOwned>(path: &Path) -> Result<Vec<T>> {
    if !path.is_file() {
        return Ok(Vec::new());
    }
    let page: Page<T> = read_json(path)?;
    if page.next.is_some() {
        return Err(
            Error::platform("snapshot is an incomplete page (it has a `next` cursor)")
                .at(Location::file(path)),
        );
    }
    Ok(page.items)
}
