//! The tenant guard: every record must belong to the site's tenant. A record
//! owned by anyone else fails the build, naming the record id, never its content.

use crate::config::{Site, TenantKind, TenantRef};
use crate::error::{Error, Result};

use super::model::{Profile, Tenant, Tour};

/// Where a record came from, for error messages.
pub struct Source<'a> {
    pub site: &'a Site,
    pub endpoint: &'a str,
}

fn foreign(src: &Source<'_>, what: &str, id: &str, why: &str) -> Error {
    Error::platform(format!(
        "site {}: {} returned {what} {id:?} that {why}; refusing to build",
        src.site.domain(),
        src.endpoint
    ))
    .hint("the platform returned data of another tenant: nothing was written; report this to the platform team")
}

/// The tenant record must be the one the site names. When only the kind
/// differs, the likely mistake is `tenant.kind` in site.yaml, and the error
/// says so there.
pub fn check_tenant(src: &Source<'_>, want: &TenantRef, tenant: &Tenant) -> Result<()> {
    if tenant.slug == want.slug.as_str() && tenant.kind != want.kind {
        return Err(Error::platform(format!(
            "site {}: site.yaml names the tenant {want}, but the platform's tenant {} is {} {}, not {} {}; refusing to build",
            src.site.domain(),
            tenant.slug,
            article(tenant.kind),
            tenant.kind,
            article(want.kind),
            want.kind,
        ))
        .at(src.site.key_location("tenant.kind"))
        .hint(format!(
            "if this site is the {0}'s, set `tenant: {{kind: {0}, slug: {1}}}` in site.yaml; nothing was written",
            tenant.kind, tenant.slug
        )));
    }
    if tenant.slug != want.slug.as_str() || tenant.kind != want.kind {
        return Err(foreign(
            src,
            "tenant",
            &tenant.id,
            &format!("is not {want}"),
        ));
    }
    Ok(())
}

fn article(kind: TenantKind) -> &'static str {
    match kind {
        TenantKind::Org => "an",
        TenantKind::Person => "a",
    }
}

/// Keeps the profiles a site may show. A profile of another tenant is an
/// error; an Org member who has not shared publicly is left out silently.
pub fn filter_profiles(
    src: &Source<'_>,
    tenant: &Tenant,
    profiles: Vec<Profile>,
) -> Result<Vec<Profile>> {
    let mut out = Vec::with_capacity(profiles.len());
    for p in profiles {
        match tenant.kind {
            TenantKind::Org => {
                if p.org_id.as_deref() != Some(tenant.id.as_str()) {
                    return Err(foreign(
                        src,
                        "profile",
                        &p.id,
                        "is not a member profile of this org",
                    ));
                }
                if p.shared_publicly {
                    out.push(p);
                }
            }
            TenantKind::Person => {
                if p.user_id.as_deref() != Some(tenant.id.as_str()) {
                    return Err(foreign(src, "profile", &p.id, "belongs to another person"));
                }
                // A Person's profile shown in an Org context is not the Person's own public profile.
                if p.org_id.is_none() {
                    out.push(p);
                }
            }
        }
    }
    Ok(out)
}

/// Every tour must be owned by the tenant.
pub fn check_tours(src: &Source<'_>, tenant: &Tenant, tours: &[Tour]) -> Result<()> {
    for t in tours {
        let owner = match tenant.kind {
            TenantKind::Org => t.org_id.as_deref(),
            TenantKind::Person => t.user_id.as_deref(),
        };
        if owner != Some(tenant.id.as_str()) {
            return Err(foreign(src, "tour", &t.id, "is owned by another tenant"));
        }
    }
    Ok(())
}
