//! How a customer's JSON document is stored: compressed with zstd against a fixed dictionary
//! of what customer documents are made of. A customer of ~1,200 bytes of JSON takes ~190 on
//! disk, and the document is still the whole customer, every field.
//!
//! The first byte tells the format, so rows written by an older version stay readable:
//! - `{`: plain JSON;
//! - `FORMAT_ZSTD_V1`: zstd with `DICTIONARY_V1`, the JSON without nulls or `status`;
//! - `FORMAT_ZSTD_V2`: zstd with `DICTIONARY_V2`, the JSON exactly as the API writes it
//!   (nulls included), so that a list can be answered from it without parsing
//!   ([`unpack_api_shaped`]). Every write stores this one.
//!
//! Both zstd formats carry the JSON's length after the format byte (4 bytes, little endian).

use std::cell::RefCell;
use std::sync::LazyLock;

use zstd::bulk::{Compressor, Decompressor};
use zstd::dict::{DecoderDictionary, EncoderDictionary};
use zstd::zstd_safe::CParameter;

use super::{Error, Result};

/// The format byte of zstd documents compressed with dictionary 1 (read only).
const FORMAT_ZSTD_V1: u8 = 1;
/// The format byte of zstd documents compressed with dictionary 2, in the API's shape.
const FORMAT_ZSTD_V2: u8 = 2;
/// zstd level: 3 is the library's default, a good balance for small documents.
const LEVEL: i32 = 3;
/// The largest document accepted when reading (a guard against a corrupt length).
const MAX_DOC_BYTES: usize = 64 << 20;

/// Raw-content dictionary 1: what documents without nulls were made of. Kept to read the rows
/// written with it; never change it.
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

/// Dictionary 2: trained by zstd's dictionary builder (`zstd::dict::from_samples`, 8 KiB) on
/// 50,000 documents in the API's shape, 10,000 each from demo seeds 1001 to 1005 as of five
/// different days (`assets/make_doc_dictionary.rs`). Besides the strings documents share
/// (member names, nulls, time stamps) it holds entropy tables, so that a small document needs
/// no tables of its own. Never change it: add a new dictionary with a new format byte.
const DICTIONARY_V2: &[u8] = include_bytes!("../../assets/customer-doc-v2.zdict");

static ENCODER_DICT_V2: LazyLock<EncoderDictionary<'static>> =
    LazyLock::new(|| EncoderDictionary::copy(DICTIONARY_V2, LEVEL));
static DECODER_DICT_V1: LazyLock<DecoderDictionary<'static>> =
    LazyLock::new(|| DecoderDictionary::copy(DICTIONARY_V1.as_bytes()));
static DECODER_DICT_V2: LazyLock<DecoderDictionary<'static>> =
    LazyLock::new(|| DecoderDictionary::copy(DICTIONARY_V2));

thread_local! {
    static COMPRESSOR: RefCell<Option<Compressor<'static>>> = const { RefCell::new(None) };
    static DECOMPRESSOR_V1: RefCell<Option<Decompressor<'static>>> = const { RefCell::new(None) };
    static DECOMPRESSOR_V2: RefCell<Option<Decompressor<'static>>> = const { RefCell::new(None) };
}

/// A document that could not be packed.
fn encode_failed(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Encode(format!("{what}: {e}"))
}

/// A stored document that could not be unpacked.
fn corrupt(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Corrupt(format!("{what}: {e}"))
}

/// Packs a document in the API's shape (nulls included) for storage.
pub fn pack(json: &[u8]) -> Result<Vec<u8>> {
    COMPRESSOR.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            let mut compressor = Compressor::with_prepared_dictionary(&ENCODER_DICT_V2)
                .map_err(|e| encode_failed("zstd compressor", e))?;
            // The length is stored in our own header; checksums are SQLite's business.
            for parameter in [
                CParameter::ContentSizeFlag(false),
                CParameter::ChecksumFlag(false),
                CParameter::DictIdFlag(false),
            ] {
                compressor
                    .set_parameter(parameter)
                    .map_err(|e| encode_failed("zstd parameter", e))?;
            }
            *slot = Some(compressor);
        }
        let compressor = slot
            .as_mut()
            .ok_or_else(|| encode_failed("zstd", "no compressor"))?;
        let frame = compressor
            .compress(json)
            .map_err(|e| encode_failed("zstd compress", e))?;
        let mut out = Vec::with_capacity(frame.len() + 5);
        out.push(FORMAT_ZSTD_V2);
        out.extend_from_slice(&(json.len() as u32).to_le_bytes());
        out.extend_from_slice(&frame);
        Ok(out)
    })
}

/// Unpacks a stored document to its JSON bytes, whatever its format.
pub fn unpack(stored: &[u8]) -> Result<Vec<u8>> {
    match stored.first() {
        Some(b'{') => Ok(stored.to_vec()),
        Some(&FORMAT_ZSTD_V1) => decompress(stored, &DECOMPRESSOR_V1, &DECODER_DICT_V1),
        Some(&FORMAT_ZSTD_V2) => decompress(stored, &DECOMPRESSOR_V2, &DECODER_DICT_V2),
        _ => Err(corrupt("stored customer", "unknown format")),
    }
}

/// The stored document's JSON if it is in the API's own shape (every member, nulls
/// included); `None` for an older format, which has to be read as a [`crate::model::Customer`].
pub fn unpack_api_shaped(stored: &[u8]) -> Result<Option<Vec<u8>>> {
    match stored.first() {
        Some(&FORMAT_ZSTD_V2) => decompress(stored, &DECOMPRESSOR_V2, &DECODER_DICT_V2).map(Some),
        _ => Ok(None),
    }
}

/// Decompresses a zstd document (format byte, length, frame) with the thread's decompressor
/// for its dictionary.
fn decompress(
    stored: &[u8],
    decompressor: &'static std::thread::LocalKey<RefCell<Option<Decompressor<'static>>>>,
    dictionary: &'static LazyLock<DecoderDictionary<'static>>,
) -> Result<Vec<u8>> {
    let Some((len, frame)) = stored.get(1..5).zip(stored.get(5..)) else {
        return Err(corrupt("stored customer", "too short"));
    };
    let len = u32::from_le_bytes([len[0], len[1], len[2], len[3]]) as usize;
    if len > MAX_DOC_BYTES {
        return Err(corrupt("stored customer", "length out of range"));
    }
    decompressor.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            *slot = Some(
                Decompressor::with_prepared_dictionary(dictionary)
                    .map_err(|e| corrupt("zstd decompressor", e))?,
            );
        }
        let decompressor = slot
            .as_mut()
            .ok_or_else(|| corrupt("zstd", "no decompressor"))?;
        decompressor
            .decompress(frame, len)
            .map_err(|e| corrupt("zstd decompress", e))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const API_SHAPED: &[u8] = br#"{"id":"640c99fc6f705c6d37fe5e34","externalId":"C00000097","isActive":true,"status":"Valid","activationTime":"2025-05-22T00:00:00Z","expirationTime":null,"firstName":"Radek","lastName":"Van\u011bk","fullName":"Radek Van\u011bk","gender":"Male","birthDate":null,"email":"radek.vanek@example.cz","phone":null,"isCompany":false,"company":null,"address":null,"deliveryAddress":null,"credit":{"amount":0,"currencyLabel":"CZK"},"creditTransactions":[],"cards":[{"externalId":null,"isActive":true,"isVirtual":false,"serialNumber":"2900000000384","processor":"PORTOS","status":"Valid","statusTime":null,"statusReason":null,"activationTime":null,"expirationTime":null,"note":null,"meta":{}}],"creditRate":0,"discountRate":0,"note":null,"meta":{"source":"demo"},"_v":1}"#;

    #[test]
    fn documents_round_trip_and_shrink_to_a_fraction() {
        let packed = pack(API_SHAPED).unwrap();
        assert!(
            packed.len() < API_SHAPED.len() / 4,
            "{} of {}",
            packed.len(),
            API_SHAPED.len()
        );
        assert_eq!(unpack(&packed).unwrap(), API_SHAPED.to_vec());
        assert_eq!(
            unpack_api_shaped(&packed).unwrap(),
            Some(API_SHAPED.to_vec())
        );
        assert_eq!(unpack(b"{\"plain\":1}").unwrap(), b"{\"plain\":1}".to_vec());
        assert_eq!(unpack_api_shaped(b"{\"plain\":1}").unwrap(), None);
        assert!(unpack(&[9, 9]).is_err());
        assert!(unpack(&[FORMAT_ZSTD_V2, 1]).is_err());
    }

    #[test]
    fn documents_written_with_dictionary_1_stay_readable() {
        let json = br#"{"id":"640c99fc6f705c6d37fe5e34","isActive":true,"lastName":"Van\u011bk","meta":{}}"#;
        let mut compressor = Compressor::with_dictionary(LEVEL, DICTIONARY_V1.as_bytes()).unwrap();
        compressor
            .set_parameter(CParameter::ContentSizeFlag(false))
            .unwrap();
        let mut stored = vec![FORMAT_ZSTD_V1];
        stored.extend_from_slice(&(json.len() as u32).to_le_bytes());
        stored.extend_from_slice(&compressor.compress(json).unwrap());
        assert_eq!(unpack(&stored).unwrap(), json.to_vec());
        assert_eq!(unpack_api_shaped(&stored).unwrap(), None);
    }
}
