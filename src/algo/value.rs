//! Lock values and object ids: 128 bits from the OS CSPRNG, as 32 lowercase hex characters.

use std::cell::RefCell;

/// Bytes fetched from the OS CSPRNG per system call; each byte is handed out once.
const BATCH: usize = 512;

thread_local! {
    static POOL: RefCell<([u8; BATCH], usize)> = const { RefCell::new(([0; BATCH], BATCH)) };
}

/// The next 16 bytes of OS CSPRNG output. Fetched in batches: one `getrandom` call per 32
/// values instead of one per lock.
fn random_bytes() -> [u8; 16] {
    POOL.with(|p| {
        let mut p = p.borrow_mut();
        let (buf, used) = &mut *p;
        if *used + 16 > BATCH {
            getrandom::fill(buf).expect("the OS CSPRNG is unavailable");
            *used = 0;
        }
        let mut out = [0u8; 16];
        out.copy_from_slice(&buf[*used..*used + 16]);
        // Never handed out twice.
        buf[*used..*used + 16].fill(0);
        *used += 16;
        out
    })
}

/// A fresh random value. Panics only if the OS has no CSPRNG at all (then no lock is safe).
pub fn random_value() -> String {
    let bytes = random_bytes();
    let mut s = String::with_capacity(32);
    for b in bytes {
        s.push(char::from_digit((b >> 4) as u32, 16).unwrap());
        s.push(char::from_digit((b & 0xf) as u32, 16).unwrap());
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn values_are_32_lowercase_hex_and_unique() {
        let mut seen = HashSet::new();
        for _ in 0..10_000 {
            let v = random_value();
            assert_eq!(v.len(), 32);
            assert!(v
                .chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
            assert!(seen.insert(v));
        }
    }
}
