//! Keys typed faster than frames: what a person types must land where the screen says it
//! does, whatever the frame timing (issue 14, item 6).

use crate::support::*;
use customer_desk::model::Rights;
use egui::{Event, Key, Modifiers};
use egui_kittest::kittest::Queryable as _;

fn key(key: Key) -> Event {
    Event::Key {
        key,
        physical_key: None,
        pressed: true,
        repeat: false,
        modifiers: Modifiers::NONE,
    }
}

/// Steps the harness as eframe would: the app's input hook sees every frame's raw input
/// first (egui_kittest does not call it).
fn step_as_eframe(harness: &mut egui_kittest::Harness<'_, customer_desk::ui::App>) {
    let ctx = harness.ctx.clone();
    let mut input = std::mem::take(harness.input_mut());
    harness.state_mut().hold_input_after_tab(&ctx, &mut input);
    *harness.input_mut() = input;
    harness.step();
}

#[test]
fn keys_typed_after_a_tab_in_the_same_frame_land_in_the_next_field() {
    let store = TestStore::new(&[("owner", Rights::admin())], &[]);
    let mut harness = app(store.db.clone());
    settle(&mut harness);
    harness.get_by_label("User name").click();
    harness.run();
    // A password manager (or fast fingers) sends it all at once, in one frame's input.
    for event in [
        Event::Text("owner".into()),
        key(Key::Tab),
        Event::Text(PASSWORD.into()),
        key(Key::Enter),
    ] {
        harness.input_mut().events.push(event);
    }
    for _ in 0..4 {
        step_as_eframe(&mut harness);
    }
    settle(&mut harness);
    assert!(
        harness.query_by_label("Signed in as owner").is_some(),
        "the password went into the password field, not after the user name: {:?}",
        harness.query_by_label("User name").and_then(|n| n.value())
    );
}
