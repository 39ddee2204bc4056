//! What the window remembers between runs: page size, sort, theme, zoom and where the last
//! user signed in. Column widths, window size and position are kept by egui and eframe
//! themselves.

use egui::ThemePreference;
use serde::{Deserialize, Serialize};

use crate::ndata::SortField;

/// The page sizes a user can pick.
pub const PAGE_SIZES: [u64; 4] = [50, 100, 200, 500];

const STORAGE_KEY: &str = "customer-desk-settings";

/// The persisted settings. Unknown or missing values fall back to the defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub page_size: u64,
    /// Sort keys by their contract names, with `true` for descending.
    pub sort: Vec<(String, bool)>,
    pub theme: ThemePreference,
    pub zoom: f32,
    /// The shop server's address last signed in to (kept when signing in locally, so it
    /// need not be typed again).
    pub server: String,
    /// Whether the last sign-in was at the shop server: the sign-in screen offers it first.
    pub sign_in_to_server: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            page_size: 100,
            sort: vec![(SortField::FullName.name().to_owned(), false)],
            theme: ThemePreference::System,
            zoom: 1.0,
            server: String::new(),
            sign_in_to_server: false,
        }
    }
}

impl Settings {
    /// Reads the settings from eframe's storage; `None` (as in tests) gives the defaults.
    pub fn load(storage: Option<&dyn eframe::Storage>) -> Self {
        let mut settings: Settings = storage
            .and_then(|s| eframe::get_value(s, STORAGE_KEY))
            .unwrap_or_default();
        if !PAGE_SIZES.contains(&settings.page_size) {
            settings.page_size = Settings::default().page_size;
        }
        settings.zoom = settings.zoom.clamp(0.5, 3.0);
        settings
    }

    /// Writes the settings to eframe's storage.
    pub fn save(&self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, STORAGE_KEY, self);
    }

    /// The sort keys that name a known field.
    pub fn sort_keys(&self) -> Vec<(SortField, bool)> {
        self.sort
            .iter()
            .filter_map(|(name, desc)| SortField::from_name(name).map(|f| (f, *desc)))
            .collect()
    }

    /// Remembers the sort keys.
    pub fn set_sort_keys(&mut self, keys: &[(SortField, bool)]) {
        self.sort = keys
            .iter()
            .map(|(f, desc)| (f.name().to_owned(), *desc))
            .collect();
    }
}

/// The settings as last written, so that a change is written at once: eframe's own autosave
/// comes every 30 s, and a window killed before it would forget what was chosen.
#[derive(Debug, Clone)]
pub struct SavedSettings(Settings);

impl SavedSettings {
    /// The settings as loaded, which need no writing.
    pub fn new(loaded: &Settings) -> Self {
        Self(loaded.clone())
    }

    /// Writes `current` to `storage` and flushes it when it differs from what was written
    /// last; returns whether it did.
    pub fn persist(
        &mut self,
        current: &Settings,
        storage: Option<&mut dyn eframe::Storage>,
    ) -> bool {
        if *current == self.0 {
            return false;
        }
        if let Some(storage) = storage {
            current.save(storage);
            storage.flush();
        }
        self.0 = current.clone();
        true
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[derive(Default)]
    struct MemoryStorage(HashMap<String, String>, u32);

    impl eframe::Storage for MemoryStorage {
        fn get_string(&self, key: &str) -> Option<String> {
            self.0.get(key).cloned()
        }
        fn set_string(&mut self, key: &str, value: String) {
            self.0.insert(key.to_owned(), value);
        }
        fn remove_string(&mut self, key: &str) {
            self.0.remove(key);
        }
        fn flush(&mut self) {
            self.1 += 1;
        }
    }

    #[test]
    fn a_changed_setting_is_written_and_flushed_at_once() {
        let mut settings = Settings::default();
        let mut saved = SavedSettings::new(&settings);
        let mut storage = MemoryStorage::default();
        assert!(
            !saved.persist(&settings, Some(&mut storage)),
            "nothing changed"
        );
        assert_eq!(storage.1, 0);
        settings.page_size = 200;
        assert!(saved.persist(&settings, Some(&mut storage)));
        assert_eq!(storage.1, 1, "flushed to disk");
        assert_eq!(Settings::load(Some(&storage)).page_size, 200);
        assert!(
            !saved.persist(&settings, Some(&mut storage)),
            "written once"
        );
        assert_eq!(storage.1, 1);
    }

    #[test]
    fn settings_survive_a_restart_and_bad_values_fall_back() {
        assert_eq!(Settings::load(None), Settings::default());
        let mut settings = Settings {
            page_size: 500,
            theme: ThemePreference::Dark,
            ..Settings::default()
        };
        settings.set_sort_keys(&[(SortField::CompanyName, true), (SortField::Email, false)]);
        let mut storage = MemoryStorage::default();
        settings.save(&mut storage);
        let loaded = Settings::load(Some(&storage));
        assert_eq!(loaded, settings);
        assert_eq!(
            loaded.sort_keys(),
            vec![(SortField::CompanyName, true), (SortField::Email, false)]
        );

        settings.page_size = 7;
        settings.zoom = 40.0;
        settings.sort.push(("noSuchField".into(), false));
        settings.save(&mut storage);
        let loaded = Settings::load(Some(&storage));
        assert_eq!(loaded.page_size, 100);
        assert_eq!(loaded.zoom, 3.0);
        assert_eq!(
            loaded.sort_keys().len(),
            2,
            "an unknown sort key is skipped"
        );
    }
}
