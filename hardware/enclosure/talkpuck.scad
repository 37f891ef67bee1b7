// talkpuck.scad — the puck's enclosure, parametric: body, lid, diffuser, button cap, mic gasket, feet.
//
// Render one part for printing, or the whole puck to look at:
//   openscad -D 'part="print"'    -o talkpuck.stl talkpuck.scad   every printed part, laid out flat
//   openscad -D 'part="body"'     -o body.stl     talkpuck.scad   (also: lid, diffuser, button, gasket)
//   openscad -D 'part="exploded"' -o exploded.png --imgsize=800,600 talkpuck.scad   (needs a display:
//   xvfb-run -a openscad ... on a server)
// Lengths are millimetres, angles degrees. Print body, lid and button in PLA/PETG (black or grey),
// the diffuser in translucent white PETG (or natural PLA) with 100 % infill, the gasket in TPU 85A
// (or cut it from 2 mm closed-cell foam with the same outline). Feet: 4 self-adhesive rubber bumps
// in the recesses, or the printed TPU feet (`printed_feet = true`).
// The parts it holds are in hardware/README.md §1 (24-LED 66 mm ring, INMP441, 12 mm switch, DevKitC).

/* [What to render] */
part = "assembly";        // assembly | exploded | print | body | lid | diffuser | button | gasket | feet

/* [Outside] */
puck_d_mm = 92;           // outside diameter
body_h_mm = 26;           // body height, floor to the lid's seat
wall_mm = 2.0;            // side wall
floor_mm = 2.0;           // floor thickness
lid_mm = 2.4;             // lid thickness (also the diffuser's thickness)
fit_mm = 0.25;            // clearance between parts that slide together

/* [LED ring and diffuser] */
ring_od_mm = 66;          // WS2812B ring, outside diameter
ring_id_mm = 52;          // inside diameter
ring_pcb_mm = 1.6;        // ring PCB thickness
diffuser_w_mm = 10;       // width of the frosted band, outside the lid's centre disc
led_gap_mm = 4;           // air between the LEDs and the diffuser: blends the dots into a band

/* [Button] */
button_hole_d_mm = 14;    // hole in the lid for the cap
button_cap_d_mm = 13.2;   // printed cap (on a 12 mm tactile switch's 3.5 mm stem)
button_cap_h_mm = 5;
button_stem_d_mm = 3.6;   // socket for the switch's round stem (a square stem: 3.5 mm)
button_flange_mm = 1.0;   // the cap's collar under the lid keeps it in

/* [Microphone port and gasket] */
mic_offset_mm = 20;       // mic port centre from the puck's centre, away from the button
mic_port_d_mm = 1.2;      // acoustic hole through the lid
mesh_d_mm = 8;            // recess on the lid's top for a round acoustic mesh sticker
mesh_depth_mm = 0.4;
gasket_od_mm = 11;        // gasket between the lid and the INMP441 board (its hole is the sound path)
gasket_id_mm = 3;
gasket_h_mm = 2;          // compressed to ~1.5 by the board's standoffs

/* [USB opening] */
usb_w_mm = 12.5;          // USB-C plug overmould width (+ clearance)
usb_h_mm = 7.0;
usb_z_mm = 7.5;           // centre height above the floor's underside (DevKitC on 4 mm standoffs)

/* [Feet] */
feet_n = 4;
foot_d_mm = 10;           // rubber bump diameter
foot_recess_mm = 1.0;     // recess depth in the floor
foot_r_mm = 34;           // radius of the feet circle
printed_feet = false;     // true: print TPU feet that press into the recesses

/* [Board standoffs] */
standoff_d_mm = 6;
standoff_h_mm = 4;
standoff_hole_d_mm = 2.5; // M3 self-tapping / M2.5 screw
board_holes = [[-24, -12], [24, -12], [-24, 12], [24, 12]];  // DevKitC-1 is 62.7 × 25.4 with no holes: clips/tape; these carry an adapter plate

/* [Detail] */
segments = 64;           // facets on a full circle (96+ for a smooth print, 48 for a quick look)
$fn = segments;
eps = 0.01;

inner_d = puck_d_mm - 2 * wall_mm;
lid_d = inner_d - 2 * fit_mm;
diffuser_od = ring_od_mm + 2 * diffuser_w_mm / 2;
lid_centre_d = ring_id_mm - 2;  // the opaque centre disc; the diffuser band sits around it

// ---------------------------------------------------------------------------------------------------
module body() {
    difference() {
        union() {
            difference() {
                cylinder(d = puck_d_mm, h = body_h_mm);
                translate([0, 0, floor_mm]) cylinder(d = inner_d, h = body_h_mm);
            }
            // ledge the lid rests on, lid_mm below the rim
            translate([0, 0, body_h_mm - lid_mm - 1.5])
                difference() {
                    cylinder(d = inner_d + eps, h = 1.5);
                    translate([0, 0, -eps]) cylinder(d = inner_d - 4, h = 1.5 + 2 * eps);
                }
            for (p = board_holes)
                translate([p[0], p[1], floor_mm - eps]) standoff();
        }
        // USB opening in the side wall (-Y side), at the board's connector height
        translate([0, -puck_d_mm / 2, usb_z_mm])
            cube([usb_w_mm, 4 * wall_mm, usb_h_mm], center = true);
        // recesses for the feet
        for (i = [0 : feet_n - 1])
            rotate(45 + i * 360 / feet_n) translate([foot_r_mm, 0, -eps])
                cylinder(d = foot_d_mm + fit_mm, h = foot_recess_mm + eps);
    }
}

module standoff() {
    difference() {
        cylinder(d = standoff_d_mm, h = standoff_h_mm);
        cylinder(d = standoff_hole_d_mm, h = standoff_h_mm + eps);
    }
}

// The lid: an opaque disc holding the button and the mic port, a ring-shaped shelf for the LED ring
// underneath, and an opening where the diffuser band goes.
module lid() {
    difference() {
        union() {
            // outer rim of the lid (opaque) and the centre disc, joined by three spokes under the diffuser
            difference() {
                cylinder(d = lid_d, h = lid_mm);
                translate([0, 0, -eps]) cylinder(d = diffuser_od + 2 * fit_mm, h = lid_mm + 2 * eps);
            }
            cylinder(d = lid_centre_d, h = lid_mm);
            for (a = [90, 210, 330]) rotate(a)
                translate([lid_centre_d / 2 - 1, -2, 0]) cube([(diffuser_od - lid_centre_d) / 2 + 2, 4, 1.2]);
            // the LED ring hangs under the diffuser on four clips from the centre disc
            for (a = [0, 90, 180, 270]) rotate(a)
                translate([ring_id_mm / 2 - 2.5, -3, -(led_gap_mm + ring_pcb_mm + 1)])
                    ring_clip();
            // collar round the mic port that presses the gasket onto the mic board
            translate([mic_offset_mm, 0, -gasket_h_mm])
                difference() {
                    cylinder(d = gasket_od_mm + 2 * 1.2, h = gasket_h_mm);
                    translate([0, 0, -eps]) cylinder(d = gasket_od_mm + 2 * fit_mm, h = gasket_h_mm + eps);
                }
        }
        // button hole
        translate([0, 0, -gasket_h_mm - 1]) cylinder(d = button_hole_d_mm, h = lid_mm + gasket_h_mm + 2);
        // mic port and the mesh recess on top
        translate([mic_offset_mm, 0, -1]) cylinder(d = mic_port_d_mm, h = lid_mm + 2, $fn = 24);
        translate([mic_offset_mm, 0, lid_mm - mesh_depth_mm]) cylinder(d = mesh_d_mm, h = mesh_depth_mm + eps);
    }
}

module ring_clip() {
    // a small hook: a post down from the lid, a lip the ring's inner edge rests on
    h = led_gap_mm + ring_pcb_mm + 1;
    cube([2.5, 6, h + eps]);
    translate([2.5 - eps, 0, 0]) cube([1.5, 6, 1]);
}

module diffuser() {
    // the frosted band: sits in the lid's opening, its lip rests on the spokes
    difference() {
        union() {
            cylinder(d = diffuser_od, h = lid_mm);
            translate([0, 0, 0]) cylinder(d = diffuser_od + 2 * 1.5, h = 0.8);
        }
        translate([0, 0, -eps]) cylinder(d = lid_centre_d + 2 * fit_mm, h = lid_mm + 2 * eps);
    }
}

module button_cap() {
    // cap through the lid, flange below it, a socket for the switch stem
    difference() {
        union() {
            cylinder(d = button_cap_d_mm, h = button_cap_h_mm);
            cylinder(d = button_hole_d_mm + 2 * 1.5, h = button_flange_mm);
        }
        translate([0, 0, -eps]) cylinder(d = button_stem_d_mm, h = 3, $fn = 24);
        // a shallow dish on top: a finger finds the button without looking
        translate([0, 0, button_cap_h_mm + 12 - 0.8]) sphere(r = 12);
    }
}

module gasket() {
    difference() {
        cylinder(d = gasket_od_mm, h = gasket_h_mm);
        translate([0, 0, -eps]) cylinder(d = gasket_id_mm, h = gasket_h_mm + 2 * eps);
    }
}

module foot() {
    cylinder(d = foot_d_mm, h = foot_recess_mm + 1.5);
}

// ---------------------------------------------------------------------------------------------------
lid_z = body_h_mm - lid_mm;

module assembly(spread = 0) {
    color("dimgray") body();
    color("gray") translate([0, 0, lid_z + 1.5 * spread]) lid();
    color("white", 0.7) translate([0, 0, lid_z + 2.5 * spread]) diffuser();
    color("darkorange") translate([0, 0, lid_z - button_flange_mm - 0.2 + 3.5 * spread]) button_cap();
    color("black") translate([mic_offset_mm, 0, lid_z - gasket_h_mm - 0.8 * spread]) gasket();
    if (printed_feet)
        for (i = [0 : feet_n - 1])
            color("black") rotate(45 + i * 360 / feet_n) translate([foot_r_mm, 0, -2.5 - spread / 2]) foot();
}

module print_layout() {
    // every printed part flat on the bed, none touching another (one STL, one plate)
    body();
    translate([puck_d_mm + 8, 0, lid_mm]) rotate([180, 0, 0]) lid();
    translate([0, puck_d_mm + 8, 0]) diffuser();
    translate([puck_d_mm + 8, puck_d_mm + 8, 0]) button_cap();
    translate([puck_d_mm + 30, puck_d_mm + 8, 0]) gasket();
    if (printed_feet)
        for (i = [0 : feet_n - 1]) translate([puck_d_mm + 50 + 14 * i, puck_d_mm + 8, 0]) foot();
}

if (part == "assembly") assembly(0);
else if (part == "exploded") assembly(14);
else if (part == "print") print_layout();
else if (part == "body") body();
else if (part == "lid") translate([0, 0, lid_mm]) rotate([180, 0, 0]) lid();
else if (part == "diffuser") diffuser();
else if (part == "button") button_cap();
else if (part == "gasket") gasket();
else if (part == "feet") for (i = [0 : feet_n - 1]) translate([14 * i, 0, 0]) foot();
else assert(false, str("part: unknown ", part));
