//! Redis Cluster hash slots (CRC16/XMODEM of the key or its `{hash tag}`, mod 16384), to refuse
//! a multi-key lock on a Cluster up front instead of retrying CROSSSLOT errors.

/// The part of a key that decides its slot: the first non-empty `{...}` tag, else the key.
fn hash_part(key: &[u8]) -> &[u8] {
    if let Some(open) = key.iter().position(|&b| b == b'{') {
        if let Some(len) = key[open + 1..].iter().position(|&b| b == b'}') {
            if len > 0 {
                return &key[open + 1..open + 1 + len];
            }
        }
    }
    key
}

fn crc16(data: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for &b in data {
        crc ^= (b as u16) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

pub fn slot(key: &str) -> u16 {
    crc16(hash_part(key.as_bytes())) % 16384
}

/// `Err((i, j))` when keys `i` and `j` map to different slots.
pub fn same_slot<'a>(
    keys: impl IntoIterator<Item = &'a str>,
) -> Result<(), (usize, usize, u16, u16)> {
    let mut first = None;
    for (i, k) in keys.into_iter().enumerate() {
        let s = slot(k);
        match first {
            None => first = Some(s),
            Some(f) if f != s => return Err((0, i, f, s)),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_redis_cluster_slots() {
        assert_eq!(crc16(b"123456789"), 0x31C3); // the CRC16/XMODEM check value
        assert_eq!(slot("foo"), 12182); // CLUSTER KEYSLOT foo
        assert_eq!(slot("bar"), 5061);
        assert_eq!(slot("{user1000}.following"), slot("{user1000}.followers"));
        assert_eq!(slot("foo{}{bar}"), slot("foo{}{bar}")); // empty first tag: the whole key
        assert_ne!(slot("foo{}{bar}"), slot("bar"));
        assert_eq!(slot("foo{{bar}}zap"), slot("{bar"));
        assert!(same_slot(["{a}1", "{a}2"]).is_ok());
        assert!(same_slot(["foo", "bar"]).is_err());
    }
}
