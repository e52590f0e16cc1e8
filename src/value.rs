//! Lock values and object ids: 128 bits from the OS CSPRNG, as 32 lowercase hex characters.

/// A fresh random value. Panics only if the OS has no CSPRNG at all (then no lock is safe).
pub fn random_value() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the OS CSPRNG is unavailable");
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
