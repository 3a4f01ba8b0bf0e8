//! `linux-netns`: named network namespaces (cninfra's model `linux.namespace.netns`,
//! `config/linux/namespace/v1/netns/<name>`), created and deleted by the agent.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use cninfra_kvscheduler::models::Model;
use cninfra_kvscheduler::{
    Correlated, DescriptorError, InvalidValueError, Origin, RetrieveResult, Retrieved,
    TypedDescriptor,
};
use cninfra_ligato::linux::netns::NamedNetns;

use crate::models::{self, linux};
use crate::shared::{Shared, failed};
use crate::{LOG, NETNS_DESCRIPTOR};

/// Named namespaces (`/run/netns/<name>`).
///
/// The agent creates a namespace NB names and deletes it when NB lets go of it, but only
/// one it created: it remembers those in a folder of empty marker files (by default
/// `/run/cninfra/<label>/netns-owned/`, on tmpfs like the namespaces, so both vanish at a
/// reboot). A namespace found in `/run/netns` that NB does not name is OBTAINED, so that
/// interfaces placed in it (`NSID` reference) do not wait for NB to name it; one NB names
/// that the agent did not create is adopted and left in place when NB lets go.
#[derive(Debug)]
pub struct NetnsDescriptor {
    shared: Shared,
    model: Arc<Model>,
    owned_dir: PathBuf,
}

impl NetnsDescriptor {
    pub(crate) fn new(shared: Shared, owned_dir: PathBuf) -> Self {
        Self {
            shared,
            model: Arc::clone(&linux().netns),
            owned_dir,
        }
    }

    fn marker(&self, name: &str) -> PathBuf {
        self.owned_dir.join(name)
    }

    fn owns(&self, name: &str) -> bool {
        self.marker(name).exists()
    }

    fn mark(&self, name: &str) -> Result<(), DescriptorError> {
        write_marker(&self.owned_dir, &self.marker(name)).map_err(|err| {
            DescriptorError::failed(format!(
                "cannot record namespace `{name}` as the agent's in {}: {err}",
                self.owned_dir.display()
            ))
        })
    }
}

fn write_marker(dir: &Path, marker: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(marker, b"")
}

impl TypedDescriptor for NetnsDescriptor {
    type Value = NamedNetns;
    type Metadata = ();
    const SUPPORTS_RETRIEVE: bool = true;

    fn name(&self) -> &str {
        NETNS_DESCRIPTOR
    }

    fn key_prefix(&self) -> &str {
        self.model.key_prefix()
    }

    fn model(&self) -> Option<&Model> {
        Some(&self.model)
    }

    fn validate(&self, key: &str, netns: &NamedNetns) -> Result<(), DescriptorError> {
        let name = netns.name.as_str();
        if name.is_empty()
            || name.contains('/')
            || name == "."
            || name == ".."
            || self.model.strip_key_prefix(key) != Some(name)
        {
            return Err(InvalidValueError::new(
                format!("`{name}` is not a namespace name matching key `{key}`"),
                ["name"],
            )
            .into());
        }
        Ok(())
    }

    fn create(&self, _key: &str, netns: &NamedNetns) -> Result<(), DescriptorError> {
        match self.shared.netlink.create_namespace(&netns.name) {
            Ok(()) => self.mark(&netns.name),
            Err(err) if err.is_exists() => {
                tracing::info!(target: LOG, namespace = %netns.name,
                    "namespace exists already: adopted, and left in place when NB lets go");
                Ok(())
            }
            Err(err) => Err(failed(&err)),
        }
    }

    fn delete(
        &self,
        _key: &str,
        netns: &NamedNetns,
        _meta: Option<&()>,
    ) -> Result<(), DescriptorError> {
        if !self.owns(&netns.name) {
            return Ok(());
        }
        match self.shared.netlink.delete_namespace(&netns.name) {
            Ok(()) => {}
            Err(err) if err.is_not_found() => {}
            Err(err) => return Err(failed(&err)),
        }
        std::fs::remove_file(self.marker(&netns.name)).or_else(|err| {
            if err.kind() == std::io::ErrorKind::NotFound {
                Ok(())
            } else {
                Err(DescriptorError::failed(format!(
                    "cannot forget namespace `{}`: {err}",
                    netns.name
                )))
            }
        })
    }

    fn retrieve(
        &self,
        _correlate: &[Correlated<'_, NamedNetns, ()>],
    ) -> RetrieveResult<NamedNetns, ()> {
        let names = self
            .shared
            .netlink
            .namespaces()
            .map_err(|err| failed(&err))?;
        Ok(names
            .into_iter()
            .map(|name| {
                let origin = if self.owns(&name) {
                    Origin::FromNb
                } else {
                    Origin::Unknown
                };
                let mut found = Retrieved::new(models::netns_key(&name), NamedNetns { name });
                found.origin = origin;
                found
            })
            .collect())
    }
}
