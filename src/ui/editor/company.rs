//! Company: whether the customer is a company, and its name and registration numbers.

use egui::Ui;

use super::errors::FieldErrors;
use super::widgets::{check_row_ui, form_grid, text_row_ui};
use crate::model::{Company, Customer};

/// Draws the company fields; returns whether any changed.
pub(super) fn company_ui(ui: &mut Ui, c: &mut Customer, errors: &FieldErrors) -> bool {
    form_grid("company")
        .show(ui, |ui| {
            let mut changed = check_row_ui(
                ui,
                "Is company",
                "The customer is a company",
                &mut c.is_company,
            );
            let mut company = c.company.clone().unwrap_or_default();
            let mut edited = false;
            edited |= text_row_ui(
                ui,
                "Company name",
                &mut company.name,
                errors,
                "Company.Name",
            );
            edited |= text_row_ui(ui, "CRN", &mut company.crn, errors, "Company.Crn");
            edited |= text_row_ui(ui, "VAT ID", &mut company.vat_id, errors, "Company.VatId");
            edited |= text_row_ui(ui, "Tax ID", &mut company.tax_id, errors, "Company.TaxId");
            if edited {
                // A company with every field cleared is no company object at all.
                c.company = (company != Company::default()).then_some(company);
                changed = true;
            }
            changed
        })
        .inner
}
