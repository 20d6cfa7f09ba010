//! A 3 × 5 pixel font for jersey numbers: each digit is five rows of three bits.

const DIGITS: [[u8; 5]; 10] = [
    [0b111, 0b101, 0b101, 0b101, 0b111],
    [0b010, 0b110, 0b010, 0b010, 0b111],
    [0b111, 0b001, 0b111, 0b100, 0b111],
    [0b111, 0b001, 0b111, 0b001, 0b111],
    [0b101, 0b101, 0b111, 0b001, 0b001],
    [0b111, 0b100, 0b111, 0b001, 0b111],
    [0b111, 0b100, 0b111, 0b101, 0b111],
    [0b111, 0b001, 0b010, 0b010, 0b010],
    [0b111, 0b101, 0b111, 0b101, 0b111],
    [0b111, 0b101, 0b111, 0b001, 0b111],
];

/// The cells (column, row) lit for `number` laid out left to right with a one-cell gap, and the
/// layout's size in cells.
pub fn number_cells(number: u16) -> (Vec<(u32, u32)>, (u32, u32)) {
    let digits: Vec<usize> = number
        .to_string()
        .bytes()
        .map(|b| usize::from(b - b'0'))
        .collect();
    let mut cells = Vec::new();
    for (position, &digit) in digits.iter().enumerate() {
        let offset = position as u32 * 4;
        for (row, bits) in DIGITS[digit].iter().enumerate() {
            for column in 0..3 {
                if bits & (0b100 >> column) != 0 {
                    cells.push((offset + column, row as u32));
                }
            }
        }
    }
    (cells, (digits.len() as u32 * 4 - 1, 5))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_digit_numbers_are_seven_cells_wide() {
        let (cells, size) = number_cells(17);
        assert_eq!(size, (7, 5));
        // "1" lights 8 cells and "7" lights 7.
        assert_eq!(cells.len(), 15);
        assert!(cells.iter().all(|&(c, r)| c < 7 && r < 5));
    }
}
