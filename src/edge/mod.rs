//! The edge: keeps deployed sites fresh when platform data changes, on the
//! web server, without CI or a deploy.
//!
//! A published build ships, beside its pages, what re-rendering needs
//! (`ship`): the site's sources as a small workspace, the platform data it
//! was built from, and a dependency index from every page to the platform
//! records it shows, made from the route table (`pages::Shows`). Deploy
//! puts them in the release as `.sitegen-edge/` (nginx serves no dotfile).

pub mod changes;
pub mod daemon;
pub mod events;
pub mod ship;
