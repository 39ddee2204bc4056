//! Short notices in the corner (saved, deleted, failed) that go away by themselves.
//! egui-notify does not support egui 0.37 yet, and this needs thirty lines.

use egui::{Align2, Area, Color32, Context, Frame, Id, RichText};

use super::style;

const SHOW_SECS: f64 = 4.0;
const MAX_TOASTS: usize = 5;

/// What kind of notice a toast is, which sets its colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToastKind {
    Success,
    Info,
    Error,
}

#[derive(Debug, Clone)]
struct Toast {
    text: String,
    kind: ToastKind,
    /// `None` until first drawn; then the time (egui's clock) it disappears.
    until: Option<f64>,
}

/// The toasts on screen.
#[derive(Debug, Default)]
pub struct Toasts {
    toasts: Vec<Toast>,
}

impl Toasts {
    /// Queues a notice.
    pub fn add(&mut self, kind: ToastKind, text: impl Into<String>) {
        self.toasts.push(Toast {
            text: text.into(),
            kind,
            until: None,
        });
        if self.toasts.len() > MAX_TOASTS {
            self.toasts.remove(0);
        }
    }

    /// The texts on screen, newest last (for tests and the status line).
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        self.toasts.iter().map(|t| t.text.as_str())
    }

    /// Draws the toasts in the bottom-right corner and drops the expired ones.
    pub fn ui(&mut self, ctx: &Context) {
        let now = ctx.input(|i| i.time);
        self.toasts
            .retain(|t| t.until.is_none_or(|until| until > now));
        if self.toasts.is_empty() {
            return;
        }
        let mut next_expiry = f64::INFINITY;
        for toast in &mut self.toasts {
            let until = *toast.until.get_or_insert(now + SHOW_SECS);
            next_expiry = next_expiry.min(until);
        }
        ctx.request_repaint_after(std::time::Duration::from_secs_f64(
            (next_expiry - now).max(0.05),
        ));
        Area::new(Id::unique("toasts"))
            .anchor(Align2::RIGHT_BOTTOM, egui::vec2(-12.0, -36.0))
            .order(egui::Order::Tooltip)
            .interactable(false)
            .show(ctx, |ui| {
                for toast in &self.toasts {
                    let visuals = ui.visuals();
                    let color: Color32 = match toast.kind {
                        ToastKind::Success => style::success_color(visuals),
                        ToastKind::Info => visuals.text_color(),
                        ToastKind::Error => style::error_color(visuals),
                    };
                    Frame::popup(ui.style()).show(ui, |ui| {
                        ui.set_max_width(360.0);
                        ui.label(RichText::new(&toast.text).color(color));
                    });
                }
            });
    }
}
