//! How a customer's JSON document is stored: compressed with zstd against a fixed dictionary
//! of the resource's own vocabulary (member names, common values). A customer of ~950 bytes
//! of JSON takes ~250 on disk, and the document is still the whole customer, every field.
//!
//! The first byte tells the format, so old rows stay readable if the dictionary ever changes:
//! `{` is plain JSON, [`FORMAT_ZSTD_V1`] is zstd with [`DICTIONARY_V1`].

use std::cell::RefCell;
use std::sync::LazyLock;

use zstd::bulk::{Compressor, Decompressor};
use zstd::dict::{DecoderDictionary, EncoderDictionary};
use zstd::zstd_safe::CParameter;

use crate::api::ApiError;

/// The format byte of zstd documents compressed with dictionary 1.
const FORMAT_ZSTD_V1: u8 = 1;
/// zstd level: 3 is the library's default, a good balance for small documents.
const LEVEL: i32 = 3;
/// The largest document accepted when reading (a guard against a corrupt length).
const MAX_DOC_BYTES: usize = 64 << 20;

/// Raw-content dictionary 1: what customer documents are made of. zstd finds repeated
/// strings in it; what is used most stands last, where references are cheapest.
/// Never change it: add a `DICTIONARY_V2` with a new format byte instead.
const DICTIONARY_V1: &str = concat!(
    r#"{"note":"","meta":{},"deliveryAddress":{"street":"","city":"","postalCode":"","country":"","note":"","coordinates":{"latitude":0,"longitude":0}},"#,
    r#""company":{"name":" s.r.o.","crn":"","vatId":"SK","taxId":""},"isCompany":true,"gender":"Female","status":"Blocked","statusReason":"Replaced","statusTime":"","#,
    r#""externalId":"C0000","expirationTime":"2027-01-01T00:00:00Z","birthDate":"1980-01-01T00:00:00Z","email":"@example.com","phone":"+421 9","#,
    r#""creditTransactions":[{"id":"","time":"2025-01-01T00:00:00Z","amount":10.00,"balance":10.00,"note":"Purchase","userName":"admin","operationId":""}],"#,
    r#""cards":[{"externalId":"","isActive":false,"isVirtual":true,"serialNumber":"","processor":"PORTOS","status":"Valid","activationTime":"2024-01-01T00:00:00Z","meta":{}}],"#,
    r#"{"id":"","externalId":"","isActive":true,"_v":1,"activationTime":"2024-01-01T00:00:00Z","firstName":"","lastName":"","fullName":"","gender":"Male","#,
    r#""email":"","phone":"","isCompany":false,"address":{"street":"","city":"","postalCode":"","country":"SK"},"credit":{"amount":0,"currencyLabel":"EUR"},"#,
    r#""creditTransactions":[],"cards":[{"isActive":true,"isVirtual":false,"serialNumber":"","processor":"PORTOS","status":"Valid","activationTime":"2024-01-01T00:00:00Z","meta":{}}],"creditRate":0,"discountRate":0,"meta":{}}"#,
);

static ENCODER_DICT: LazyLock<EncoderDictionary<'static>> =
    LazyLock::new(|| EncoderDictionary::copy(DICTIONARY_V1.as_bytes(), LEVEL));
static DECODER_DICT: LazyLock<DecoderDictionary<'static>> =
    LazyLock::new(|| DecoderDictionary::copy(DICTIONARY_V1.as_bytes()));

thread_local! {
    static COMPRESSOR: RefCell<Option<Compressor<'static>>> = const { RefCell::new(None) };
    static DECOMPRESSOR: RefCell<Option<Decompressor<'static>>> = const { RefCell::new(None) };
}

fn internal(what: &str, e: impl std::fmt::Display) -> ApiError {
    ApiError::Internal(format!("{what}: {e}"))
}

/// Packs a JSON document for storage.
pub fn pack(json: &[u8]) -> Result<Vec<u8>, ApiError> {
    COMPRESSOR.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            let mut compressor = Compressor::with_prepared_dictionary(&ENCODER_DICT)
                .map_err(|e| internal("zstd compressor", e))?;
            // The length is stored in our own header; checksums are SQLite's business.
            for parameter in [
                CParameter::ContentSizeFlag(false),
                CParameter::ChecksumFlag(false),
                CParameter::DictIdFlag(false),
            ] {
                compressor
                    .set_parameter(parameter)
                    .map_err(|e| internal("zstd parameter", e))?;
            }
            *slot = Some(compressor);
        }
        let compressor = slot
            .as_mut()
            .ok_or_else(|| internal("zstd", "no compressor"))?;
        let frame = compressor
            .compress(json)
            .map_err(|e| internal("zstd compress", e))?;
        let mut out = Vec::with_capacity(frame.len() + 5);
        out.push(FORMAT_ZSTD_V1);
        out.extend_from_slice(&(json.len() as u32).to_le_bytes());
        out.extend_from_slice(&frame);
        Ok(out)
    })
}

/// Unpacks a stored document to its JSON bytes.
pub fn unpack(stored: &[u8]) -> Result<Vec<u8>, ApiError> {
    match stored.first() {
        Some(b'{') => Ok(stored.to_vec()),
        Some(&FORMAT_ZSTD_V1) if stored.len() >= 5 => {
            let mut len = [0u8; 4];
            len.copy_from_slice(&stored[1..5]);
            let len = u32::from_le_bytes(len) as usize;
            if len > MAX_DOC_BYTES {
                return Err(internal("stored customer", "length out of range"));
            }
            DECOMPRESSOR.with(|cell| {
                let mut slot = cell.borrow_mut();
                if slot.is_none() {
                    *slot = Some(
                        Decompressor::with_prepared_dictionary(&DECODER_DICT)
                            .map_err(|e| internal("zstd decompressor", e))?,
                    );
                }
                let decompressor = slot
                    .as_mut()
                    .ok_or_else(|| internal("zstd", "no decompressor"))?;
                decompressor
                    .decompress(&stored[5..], len)
                    .map_err(|e| internal("zstd decompress", e))
            })
        }
        _ => Err(internal("stored customer", "unknown format")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_round_trip_and_shrink() {
        let json = br#"{"id":"640c99fc6f705c6d37fe5e34","externalId":"C00000097","isActive":true,"_v":1,"firstName":"Radek","lastName":"Van\u011bk","cards":[{"isActive":true,"isVirtual":false,"serialNumber":"2900000000384","processor":"PORTOS","status":"Valid","meta":{}}],"creditRate":0,"discountRate":0,"meta":{"source":"demo"}}"#;
        let packed = pack(json).unwrap();
        assert!(
            packed.len() < json.len() / 2,
            "{} of {}",
            packed.len(),
            json.len()
        );
        assert_eq!(unpack(&packed).unwrap(), json.to_vec());
        assert_eq!(unpack(b"{\"plain\":1}").unwrap(), b"{\"plain\":1}".to_vec());
        assert!(unpack(&[9, 9]).is_err());
    }
}
