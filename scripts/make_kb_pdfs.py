"""Write the PDF documents of the KVC knowledge base (content below) into data/ using fpdf2.
Their output is committed to the repository; reruns produce byte-identical files."""

from datetime import UTC, datetime
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

COLLEGE = "Kestrel Valley College of Engineering and Science (KVC), Amberpur"
CREATION_DATE = datetime(2026, 6, 1, tzinfo=UTC)
FOOTER_TEXT = "Kestrel Valley College of Engineering and Science - Academic Year 2026-27"
DATA_DIR = Path(__file__).resolve().parent.parent / "data"

# Each document: filename, title, subtitle, intro paragraphs, sections.
# A section has a heading and a list of blocks:
#   ("p", "paragraph text")
#   ("h3", "sub-heading")
#   ("ul", ["bullet item", ...])
#   ("ol", ["numbered item", ...])

EXAMINATIONS = {
    "filename": "examinations_and_grading.pdf",
    "short_title": "Examinations and Grading",
    "title": "Examinations and Grading Regulations 2026-27",
    "subtitle": (
        "Issued by the Examination Cell - applicable to all B.Tech., B.Sc., M.Tech. and M.Sc. "
        "students"
    ),
    "intro": [
        "These regulations describe how students of Kestrel Valley College of Engineering and "
        "Science (KVC) are assessed, how grades, SGPA and CGPA are calculated, and the rules for "
        "revaluation, supplementary examinations and malpractice. They are framed under the "
        "academic regulations of Amberpur Technological University (ATU), to which KVC is "
        "affiliated as an autonomous college. Examination dates for 2026-27 are given in the "
        "Academic Calendar; the examination fee is given in the Fees and Deadlines document.",
    ],
    "sections": [
        {
            "heading": "1. The Examination Cell",
            "blocks": [
                (
                    "p",
                    "All examinations are conducted by the Examination Cell under the Controller "
                    "of Examinations.",
                ),
                (
                    "ul",
                    [
                        "Controller of Examinations: Dr. Meenakshi Iyer",
                        "Office: Examination Cell, Room B-012, ground floor, Academic Block "
                        "(Building B)",
                        "Phone: +91 20 4567 1200",
                        "E-mail: examcell@kvc.edu.in (students); coe@kvc.edu.in (Controller of "
                        "Examinations)",
                        "Office hours: Monday to Friday, 9:30 am to 5:00 pm; Saturday, 9:30 am "
                        "to 1:00 pm (closed on the second and fourth Saturdays)",
                    ],
                ),
                (
                    "p",
                    "Write to examcell@kvc.edu.in from your KVC e-mail ID and always mention "
                    "your roll number, programme, semester and course code.",
                ),
            ],
        },
        {
            "heading": "2. Scheme of Assessment",
            "blocks": [
                ("h3", "2.1 Theory courses (internal 40 marks + external 60 marks)"),
                (
                    "p",
                    "Every theory course is assessed out of 100 marks: 40 marks of internal "
                    "assessment (continuous evaluation by the course teacher) and 60 marks of "
                    "external assessment (the End-Semester Examination, ESE).",
                ),
                (
                    "ul",
                    [
                        "Mid-Semester Test 1 (MST-1): test of 30 marks, 1 hour, scaled to 15 marks",
                        "Mid-Semester Test 2 (MST-2): test of 30 marks, 1 hour, scaled to 15 marks",
                        "Continuous assessment: assignments (5 marks) and quizzes (5 marks), "
                        "total 10 marks",
                        "End-Semester Examination (ESE): written examination of 100 marks, 3 "
                        "hours, scaled to 60 marks",
                    ],
                ),
                ("h3", "2.2 Laboratory courses (internal 50 marks + external 50 marks)"),
                (
                    "p",
                    "Laboratory courses are assessed out of 100 marks: 50 marks for continuous "
                    "laboratory work (experiments, journal and lab viva during the semester) and "
                    "50 marks for the end-semester practical and oral examination conducted by "
                    "an internal and an external examiner.",
                ),
                ("h3", "2.3 Projects, seminars and internships"),
                (
                    "p",
                    "Project work is assessed through three project reviews during the semester "
                    "(50 marks) and a final viva-voce with an external examiner (50 marks). "
                    "Seminars and internships are assessed internally out of 100 marks on the "
                    "basis of the report and presentation.",
                ),
                ("h3", "2.4 Mandatory non-credit courses"),
                (
                    "p",
                    "Mandatory non-credit courses (for example Environmental Studies and "
                    "Constitution of India) are assessed internally and shown on the grade card "
                    "as PP (passed) or NP (not passed). They must be passed to receive the "
                    "degree but do not count in the SGPA or CGPA.",
                ),
            ],
        },
        {
            "heading": "3. Passing Standards",
            "blocks": [
                (
                    "ol",
                    [
                        "Undergraduate theory course: at least 24 out of 60 marks (40%) in the "
                        "ESE and at least 40 out of 100 marks (40%) in internal and external "
                        "marks together.",
                        "Postgraduate theory course: at least 30 out of 60 marks (50%) in the "
                        "ESE and at least 50 out of 100 marks (50%) in total.",
                        "Laboratory course: at least 40% (UG) or 50% (PG) in the end-semester "
                        "practical examination and in the total.",
                        "There is no separate minimum for internal marks, but internal marks "
                        "cannot be changed after they are submitted to the Examination Cell, and "
                        "they are carried forward to supplementary examinations.",
                        "A student who does not meet the passing standard receives grade F in "
                        "that course and must clear it in a supplementary or a later regular "
                        "examination.",
                    ],
                ),
            ],
        },
        {
            "heading": "4. Letter Grades and Grade Points",
            "blocks": [
                (
                    "p",
                    "Marks out of 100 in each course are converted to a letter grade and a grade "
                    "point on a 10-point scale.",
                ),
                ("h3", "4.1 Grade points table for undergraduate programmes (B.Tech., B.Sc.)"),
                (
                    "ul",
                    [
                        "Grade O (Outstanding): 90 to 100 marks - 10 grade points",
                        "Grade A+ (Excellent): 80 to 89 marks - 9 grade points",
                        "Grade A (Very Good): 70 to 79 marks - 8 grade points",
                        "Grade B+ (Good): 60 to 69 marks - 7 grade points",
                        "Grade B (Above Average): 50 to 59 marks - 6 grade points",
                        "Grade C (Average): 45 to 49 marks - 5 grade points",
                        "Grade P (Pass): 40 to 44 marks - 4 grade points",
                        "Grade F (Fail): below 40 marks - 0 grade points",
                        "Grade AB (Absent in ESE): 0 grade points",
                    ],
                ),
                ("h3", "4.2 Grade points table for postgraduate programmes (M.Tech., M.Sc.)"),
                (
                    "ul",
                    [
                        "Grade O: 90 to 100 marks - 10 grade points",
                        "Grade A+: 80 to 89 marks - 9 grade points",
                        "Grade A: 70 to 79 marks - 8 grade points",
                        "Grade B+: 60 to 69 marks - 7 grade points",
                        "Grade B: 50 to 59 marks - 6 grade points",
                        "Grade F: below 50 marks - 0 grade points",
                    ],
                ),
                ("h3", "4.3 Other symbols on the grade card"),
                (
                    "ul",
                    [
                        "DT - Detained for shortage of attendance (see the Attendance Rules)",
                        "I - Incomplete (result withheld, for example during a malpractice "
                        "inquiry)",
                        "PP / NP - Passed / Not passed in a mandatory non-credit course",
                    ],
                ),
            ],
        },
        {
            "heading": "5. SGPA and CGPA",
            "blocks": [
                (
                    "p",
                    "The Semester Grade Point Average (SGPA) is the credit-weighted average of "
                    "the grade points obtained in all credit courses of a semester: SGPA = sum "
                    "of (course credits x grade points) divided by the sum of course credits. "
                    "Courses with grade F or AB count with 0 grade points until they are cleared.",
                ),
                (
                    "p",
                    "The Cumulative Grade Point Average (CGPA) is calculated in the same way "
                    "over all credit courses of all semesters completed so far. SGPA and CGPA "
                    "are rounded to two decimal places.",
                ),
                ("h3", "5.1 Worked example of SGPA"),
                (
                    "ul",
                    [
                        "Course 1: 4 credits, grade A+ (9) - 36 credit points",
                        "Course 2: 4 credits, grade A (8) - 32 credit points",
                        "Course 3: 3 credits, grade O (10) - 30 credit points",
                        "Course 4: 3 credits, grade B+ (7) - 21 credit points",
                        "Course 5 (laboratory): 2 credits, grade A+ (9) - 18 credit points",
                        "Course 6 (laboratory): 1 credit, grade A (8) - 8 credit points",
                        "Total: 17 credits and 145 credit points, so SGPA = 145 / 17 = 8.53",
                    ],
                ),
                ("h3", "5.2 Conversion of CGPA to percentage"),
                (
                    "p",
                    "Where a percentage is required (for example by employers or for higher "
                    "studies), percentage = CGPA x 9.5. For example, a CGPA of 8.40 corresponds "
                    "to 79.80%.",
                ),
                ("h3", "5.3 Class awarded with the degree (undergraduate)"),
                (
                    "ul",
                    [
                        "First Class with Distinction: CGPA of 7.75 or more",
                        "First Class: CGPA from 6.75 to 7.74",
                        "Second Class: CGPA from 5.75 to 6.74",
                        "Pass Class: CGPA from 4.00 to 5.74",
                    ],
                ),
                (
                    "p",
                    "For postgraduate programmes: Distinction for a CGPA of 8.00 or more, First "
                    "Class from 6.50 to 7.99, and Pass from 5.00 to 6.49. A student who cleared "
                    "any course in a supplementary examination is not eligible for a rank or "
                    "gold medal, but the class is not affected.",
                ),
            ],
        },
        {
            "heading": "6. Examination Form and Hall Ticket",
            "blocks": [
                (
                    "ol",
                    [
                        "Submit the end-semester examination form on KVC Connect (Examinations "
                        "tab) by the date in the Academic Calendar: Friday, 16 October 2026 for "
                        "the odd semester and Friday, 2 April 2027 for the even semester.",
                        "The examination form can be submitted up to 7 days after the last date "
                        "with a late fee of Rs. 500. After that, the form is not accepted and "
                        "the student cannot appear for the ESE.",
                        "The hall ticket can be downloaded from KVC Connect 5 days before the "
                        "first ESE paper. It is released only if fees are paid, library "
                        "clearance shows no dues, and the student is not detained in the course.",
                        "Check the course codes on the hall ticket and report any error to the "
                        "Examination Cell at least 2 days before the examination.",
                        "A duplicate hall ticket is issued by the Examination Cell on the day of "
                        "the examination for a fee of Rs. 100.",
                    ],
                ),
            ],
        },
        {
            "heading": "7. Rules in the Examination Hall",
            "blocks": [
                (
                    "ol",
                    [
                        "Be seated 15 minutes before the examination starts. Morning sessions "
                        "run from 10:00 am to 1:00 pm and afternoon sessions from 2:30 pm to "
                        "5:30 pm.",
                        "No student is admitted more than 30 minutes after the start, and no "
                        "student may leave the hall in the first 60 minutes.",
                        "Carry both the hall ticket and the KVC identity card. Students without "
                        "either are not admitted unless the Examination Cell issues a duplicate.",
                        "Mobile phones, smart watches, earphones and any electronic device other "
                        "than a permitted non-programmable scientific calculator are not allowed "
                        "in the hall, even if switched off. Leave them in the bag area outside "
                        "the hall at your own risk.",
                        "Write your roll number only in the space provided. Writing your name, a "
                        "religious symbol, a phone number or any appeal to the examiner in the "
                        "answer book is treated as malpractice.",
                        "Supplements (extra sheets) are given on request and must be tied to the "
                        "main answer book.",
                        "Sharing calculators, drawing instruments or stationery during the "
                        "examination is not allowed.",
                    ],
                ),
            ],
        },
        {
            "heading": "8. Results, Photocopy and Revaluation",
            "blocks": [
                (
                    "p",
                    "Results are published on KVC Connect. Odd-semester results are declared on "
                    "or before Thursday, 24 December 2026 and even-semester results on or before "
                    "Friday, 25 June 2027. Printed grade cards are given to students through "
                    "their departments within 30 days of the declaration of results.",
                ),
                ("h3", "8.1 Fees for post-result services"),
                (
                    "ul",
                    [
                        "Photocopy of the answer book: Rs. 300 per course - apply within 5 days "
                        "of the declaration of results",
                        "Verification (re-totalling) of marks: Rs. 200 per course - apply within "
                        "7 days of the declaration of results",
                        "Revaluation: Rs. 750 per course - apply within 7 days of the "
                        "declaration of results",
                    ],
                ),
                ("h3", "8.2 Revaluation rules"),
                (
                    "ol",
                    [
                        "The revaluation fee is Rs. 750 per course. Apply and pay online on KVC "
                        "Connect (Examinations > Revaluation) within 7 days of the declaration "
                        "of results. For the odd semester of 2026-27 the last date to apply for "
                        "revaluation is Thursday, 31 December 2026; for the even semester it is "
                        "Friday, 2 July 2027.",
                        "Revaluation is available only for ESE theory answer books. Internal "
                        "marks, practical examinations and project vivas cannot be revalued.",
                        "The answer book is revalued by an independent examiner who does not see "
                        "the original marks.",
                        "If the revalued marks differ from the original marks by 10% or more of "
                        "the maximum marks (10 marks out of 100), the revalued marks replace the "
                        "original marks, whether they are higher or lower. Otherwise the "
                        "original marks stand.",
                        "Revaluation results are published within 21 days of the last date for "
                        "applying.",
                        "The revaluation fee is refunded in full if the grade in the course "
                        "changes.",
                        "A student who has applied for revaluation of a failed course should "
                        "also register for the supplementary examination; the supplementary fee "
                        "is refunded if the course is cleared on revaluation.",
                    ],
                ),
            ],
        },
        {
            "heading": "9. Supplementary Examinations",
            "blocks": [
                (
                    "ol",
                    [
                        "Supplementary examinations are held for students who received grade F "
                        "or AB in an ESE theory or practical examination. Detained students (DT) "
                        "are not eligible; they must re-register for the course.",
                        "Supplementary examinations for odd-semester courses are held from "
                        "Monday, 11 January to Saturday, 16 January 2027. Supplementary "
                        "examinations for even-semester courses are held from Monday, 28 June to "
                        "Saturday, 3 July 2027.",
                        "The supplementary examination fee is Rs. 550 per course. Register on "
                        "KVC Connect within 7 days of the declaration of results.",
                        "Internal marks obtained earlier are carried forward. The full grade "
                        "range is available in the supplementary examination; there is no cap on "
                        "the grade.",
                        "Grade improvement: final-year students may appear in the supplementary "
                        "examination to improve the grade in at most two courses during the "
                        "whole programme, at a fee of Rs. 900 per course. The better of the two "
                        "grades is kept.",
                        "A student who misses an MST on approved medical or duty leave may take "
                        "a single make-up test, held in the week after MST-2. There is no "
                        "make-up for a missed ESE; the student appears in the supplementary "
                        "examination.",
                    ],
                ),
            ],
        },
        {
            "heading": "10. Malpractice and Unfair Means",
            "blocks": [
                (
                    "p",
                    "Any attempt to gain an unfair advantage in an examination, test, assignment "
                    "or project is malpractice. Cases are reported by the invigilator to the "
                    "Chief Superintendent and examined by the Examination Malpractice Inquiry "
                    "Committee, which hears the student within 15 days. The result of the course "
                    "is kept as I (incomplete) until a decision is taken.",
                ),
                ("h3", "10.1 Penalties"),
                (
                    "ul",
                    [
                        "Possession of a mobile phone or smart watch in the examination hall, "
                        "even if switched off and not used: ESE of that course cancelled and a "
                        "fine of Rs. 2,000",
                        "Possession of notes, chits or written material relevant to the "
                        "examination: ESE of that course cancelled",
                        "Copying from another student, from chits or from a device, or allowing "
                        "another student to copy: all ESE papers of that semester cancelled",
                        "Writing name, phone number or an appeal to the examiner in the answer "
                        "book: ESE of that course cancelled",
                        "Taking the answer book out of the hall, or exchanging answer books: all "
                        "ESE papers of that semester cancelled and debarred from the next "
                        "supplementary examination",
                        "Impersonation (writing the examination for another person, or getting "
                        "someone else to write): all papers of that semester cancelled and "
                        "rustication for two semesters for both persons; a police complaint is "
                        "filed if the impersonator is an outsider",
                        "Misbehaviour with or threatening an invigilator or examiner: all papers "
                        "of that semester cancelled and referral to the Disciplinary Committee",
                        "Plagiarism above 20% (excluding references) in a project report or "
                        "thesis: report rejected; resubmission after 3 months",
                    ],
                ),
                (
                    "p",
                    "A second proven case of malpractice during the programme leads to "
                    "rustication for at least two semesters. The student may appeal to the "
                    "Principal within 10 days of the decision.",
                ),
            ],
        },
        {
            "heading": "11. Transcripts and Certificates",
            "blocks": [
                (
                    "ul",
                    [
                        "Duplicate grade card: Rs. 400 per semester grade card",
                        "Official transcript (all semesters, in a sealed envelope): Rs. 500 per "
                        "copy; Rs. 300 for each additional copy requested at the same time",
                        "Provisional degree certificate: Rs. 500, issued within 15 days of the "
                        "final results",
                        "Apply on KVC Connect (Examinations > Certificates). Documents are ready "
                        "for collection at Room B-012 within 7 working days, or sent by speed "
                        "post for an additional Rs. 100 within India.",
                    ],
                ),
            ],
        },
    ],
}


HOSTEL = {
    "filename": "hostel_and_mess.pdf",
    "short_title": "Hostel and Mess Handbook",
    "title": "Hostel and Mess Handbook 2026-27",
    "subtitle": "Issued by the Office of the Chief Warden - for all residents of the KVC hostels",
    "intro": [
        "KVC provides on-campus accommodation for about 940 students in four hostel blocks, two "
        "for men and two for women, and a central dining hall. Living in the hostel is optional, "
        "but all hostel residents must join the mess. This handbook gives the hostel blocks, "
        "room types and fees, the in-time rules, the wardens' contacts, the mess timings and "
        "menu rules, and the rules for guests and visitors. Every resident signs an undertaking "
        "to follow these rules at the time of check-in.",
    ],
    "sections": [
        {
            "heading": "1. Hostel Office and Chief Warden",
            "blocks": [
                (
                    "ul",
                    [
                        "Hostel Office: Room G-01, ground floor, Falcon House (Block H1)",
                        "Phone: +91 20 4567 1300",
                        "E-mail: hostel@kvc.edu.in",
                        "Office hours: Monday to Saturday, 9:00 am to 5:30 pm",
                        "Chief Warden: Prof. Sudhir Patwardhan, mobile +91 98220 41760, e-mail "
                        "chiefwarden@kvc.edu.in",
                        "Hostel Superintendent (allotment, room keys, maintenance): Mr. Anand "
                        "Salunkhe, phone +91 20 4567 1301",
                    ],
                ),
                (
                    "p",
                    "For maintenance problems (electricity, plumbing, furniture), raise a "
                    "complaint on KVC Connect (Hostel > Maintenance). Electrical and plumbing "
                    "complaints are attended to within 24 hours.",
                ),
            ],
        },
        {
            "heading": "2. Hostel Blocks and Wardens",
            "blocks": [
                (
                    "ul",
                    [
                        "Falcon House (Block H1) - men, first-year B.Tech. and B.Sc. students, "
                        "240 residents. Warden: Mr. Vikram Shinde, mobile +91 98220 41761, "
                        "e-mail warden.falcon@kvc.edu.in",
                        "Osprey House (Block H2) - men, second-year onwards and postgraduate "
                        "students, 300 residents. Warden: Dr. Harish Menon, mobile +91 98220 "
                        "41762, e-mail warden.osprey@kvc.edu.in",
                        "Kingfisher House (Block H3) - women, first-year B.Tech. and B.Sc. "
                        "students, 180 residents. Warden: Dr. Farah Shaikh, mobile +91 98220 "
                        "41763, e-mail warden.kingfisher@kvc.edu.in",
                        "Skylark House (Block H4) - women, second-year onwards and postgraduate "
                        "students, 220 residents. Warden: Mrs. Lata Gaikwad, mobile +91 98220 "
                        "41764, e-mail warden.skylark@kvc.edu.in",
                    ],
                ),
                (
                    "p",
                    "Each floor has a resident tutor (a faculty member or research scholar "
                    "living in the block) and each block has a night supervisor on duty from "
                    "9:00 pm to 7:00 am at the block entrance. Wardens can be called at any time "
                    "in an emergency. For any emergency, residents may also call the Campus "
                    "Security Control Room (24x7) at +91 20 4567 1999.",
                ),
            ],
        },
        {
            "heading": "3. Room Types and Hostel Fees per Semester",
            "blocks": [
                (
                    "p",
                    "The hostel fee depends on the room type. All amounts below are per semester "
                    "(there are two semesters in a year) and include electricity, water, Wi-Fi "
                    "and housekeeping of common areas.",
                ),
                ("h3", "3.1 Hostel room fees table"),
                (
                    "ul",
                    [
                        "Triple-sharing room, non-AC (all four blocks; standard allotment): Rs. "
                        "42,000 per semester per student",
                        "Double-sharing room, non-AC (all four blocks): Rs. 52,000 per semester "
                        "per student",
                        "Double-sharing room, air-conditioned, attached bathroom (Osprey House "
                        "and Skylark House only): Rs. 64,000 per semester per student",
                        "Single room, non-AC, attached bathroom (Osprey House and Skylark House "
                        "only; final-year undergraduate and postgraduate students only): Rs. "
                        "68,000 per semester",
                    ],
                ),
                ("h3", "3.2 Other hostel charges"),
                (
                    "ul",
                    [
                        "Mess fee (compulsory for all residents): Rs. 19,500 per semester",
                        "Hostel caution deposit (one-time, refundable): Rs. 5,000",
                        "Guest room for visiting parents: Rs. 600 per room per night (see "
                        "Section 8)",
                        "Optional laundry service (paid directly to the contractor): Rs. 650 per "
                        "month",
                    ],
                ),
                (
                    "p",
                    "Hostel and mess fees are paid on KVC Connect with the tuition fee and have "
                    "the same last dates: 31 July 2026 for the odd semester and 15 January 2027 "
                    "for the even semester. The late fee is charged as given in the Fees and "
                    "Deadlines document.",
                ),
                ("h3", "3.3 Room furnishings"),
                (
                    "p",
                    "Each student gets a cot with mattress, a study table and chair, a lockable "
                    "cupboard, a bookshelf and a LAN port. Each room has a ceiling fan and tube "
                    "lights. Triple and double non-AC rooms share common bathrooms on each floor "
                    "(one bathroom for every six students), with hot water from solar heaters "
                    "between 6:00 am and 10:00 am.",
                ),
            ],
        },
        {
            "heading": "4. Allotment, Check-in and Vacating",
            "blocks": [
                (
                    "ol",
                    [
                        "First-year students apply for the hostel at the time of admission. "
                        "Continuing students apply on KVC Connect (Hostel > Apply) by Tuesday, "
                        "30 June 2026.",
                        "Rooms are allotted first to students whose home is more than 50 km from "
                        "Amberpur, and then by merit (CGPA, or admission merit for first-year "
                        "students). Double, AC and single rooms are allotted by preference and "
                        "merit among eligible applicants.",
                        "The allotment list for continuing students is published on Friday, 10 "
                        "July 2026.",
                        "Check-in: from Friday, 17 July 2026 for continuing students, and from "
                        "Saturday, 1 August 2026 for first-year students. Bring the fee receipt, "
                        "two photographs and a copy of the identity card.",
                        "Room changes are considered only in the first two weeks of a semester, "
                        "on written request to the warden.",
                        "Hostels stay open during the winter vacation for students who register "
                        "with the warden by Wednesday, 25 November 2026. The mess runs a reduced "
                        "menu during this period.",
                        "At the end of the even semester, rooms must be vacated by Tuesday, 25 "
                        "May 2027. Belongings left behind after this date are removed to the "
                        "store at the resident's risk.",
                    ],
                ),
            ],
        },
        {
            "heading": "5. In-time, Curfew and Leave",
            "blocks": [
                (
                    "ol",
                    [
                        "Hostel in-time (gates close): 10:00 pm from Sunday to Thursday, and "
                        "10:30 pm on Friday and Saturday. The same in-time applies to all "
                        "residents, men and women.",
                        "First-year students in their first semester must be in by 9:30 pm on "
                        "all days.",
                        "Hostel gates open at 5:30 am.",
                        "Night attendance is taken by biometric at the block entrance between "
                        "9:30 pm and 10:45 pm.",
                        "During examination periods, when the library is open until midnight, "
                        "residents returning from the library may enter until 12:15 am on "
                        "showing the library exit slip.",
                        "Late entry: a resident arriving after the in-time must sign the "
                        "late-entry register at the block entrance. Three late entries in a "
                        "calendar month lead to a letter to the parents and the loss of "
                        "night-out permission for the next month.",
                        "Night out and home visits: apply on KVC Connect (Hostel > Leave / Night "
                        "Out) before 6:00 pm on the day of leaving. A one-time password is sent "
                        "to the registered parent mobile number; the request is approved by the "
                        "warden only after the parent confirms.",
                        "Residents must not stay outside the hostel overnight without an "
                        "approved leave. An unexplained absence at night attendance is reported "
                        "to the parents and the Chief Warden the same night.",
                    ],
                ),
            ],
        },
        {
            "heading": "6. Mess (Nest Dining Hall)",
            "blocks": [
                (
                    "p",
                    "All residents eat at the central mess, the Nest Dining Hall, on the ground "
                    "floor of the Dining Block between Osprey House and Skylark House (seating "
                    "for 600). The mess is run by Annapurna Caterers under the supervision of "
                    "the Mess Committee.",
                ),
                ("h3", "6.1 Mess timings"),
                (
                    "ul",
                    [
                        "Breakfast: 7:30 am to 9:15 am (Sundays and holidays: 8:00 am to 10:00 am)",
                        "Lunch: 12:30 pm to 2:15 pm",
                        "Evening tea and snacks: 5:00 pm to 6:00 pm",
                        "Dinner: 7:30 pm to 9:30 pm",
                        "Night tea and snacks during End-Semester Examination weeks only: 10:30 "
                        "pm to 11:30 pm",
                    ],
                ),
                ("h3", "6.2 Menu rules"),
                (
                    "ol",
                    [
                        "The weekly menu is prepared by the Mess Committee and displayed on the "
                        "mess notice board and on KVC Connect every Sunday.",
                        "Vegetarian food is served at every meal. Non-vegetarian food (egg or "
                        "chicken) is served at Wednesday and Sunday dinner from a separate "
                        "counter.",
                        "Jain food (without onion, garlic and root vegetables) is provided to "
                        "residents who register for it at the Hostel Office at the start of the "
                        "semester.",
                        "Chapati, rice, dal and salad are unlimited. Sweets and special items "
                        "are served in fixed portions.",
                        "A special dinner is served on major festivals and on the first day of "
                        "each semester.",
                        "Food, plates and cutlery must not be taken out of the dining hall. A "
                        "sick resident may get food packed for the room on showing a slip signed "
                        "by the warden or the Medical Centre.",
                        "Wasting food is discouraged; the Mess Committee displays the weekly "
                        "food-waste figure.",
                    ],
                ),
                ("h3", "6.3 Mess Committee, rebate and complaints"),
                (
                    "ul",
                    [
                        "The Mess Committee has one elected student representative from each "
                        "block, the Chief Warden and the mess manager. It meets on the first "
                        "Monday of every month.",
                        "Mess manager: Mr. Suresh Nikam, mobile +91 98220 41770",
                        "Mess rebate: a resident away for 5 or more consecutive days, with leave "
                        "approved in advance on KVC Connect, gets a rebate of Rs. 150 per day, "
                        "up to 20 days per semester. The rebate is adjusted in the next "
                        "semester's mess fee.",
                        "Guest meals: a guest meal coupon costs Rs. 80 per meal (Rs. 120 for "
                        "special dinners), available at the mess counter.",
                        "Complaints about food quality or hygiene: write in the complaint "
                        "register at the mess counter or e-mail hostel@kvc.edu.in. The committee "
                        "reviews every complaint at its monthly meeting.",
                    ],
                ),
            ],
        },
        {
            "heading": "7. Rules of Residence",
            "blocks": [
                (
                    "ol",
                    [
                        "Cooking in rooms is not allowed. Induction cooktops, hot plates, "
                        "immersion rods, room heaters and personal air-conditioners or coolers "
                        "are prohibited and will be confiscated.",
                        "Electric kettles up to 1,000 W and laptop chargers are allowed. Irons "
                        "may be used only in the ironing room on each floor.",
                        "Smoking, alcohol, drugs, gambling and pets are strictly prohibited in "
                        "the hostels.",
                        "Residents must keep their rooms clean. Rooms are inspected by the "
                        "warden once a month and may be inspected at any time if there is a "
                        "complaint.",
                        "Residents of men's hostels may not enter women's hostels, and residents "
                        "of women's hostels may not enter men's hostels, beyond the visitors' "
                        "lounge.",
                        "Loud music is not allowed after 10:30 pm. Quiet hours are from 10:30 pm "
                        "to 6:00 am.",
                        "Damage to hostel property is charged to the residents responsible.",
                        "Personal Wi-Fi routers and hotspots are not allowed; use the "
                        "KVC-Students Wi-Fi or the LAN port in the room.",
                        "Washing machines on each floor are free to use between 6:00 am and "
                        "10:00 pm.",
                    ],
                ),
            ],
        },
        {
            "heading": "8. Guests and Visitors",
            "blocks": [
                (
                    "ol",
                    [
                        "Parents and guardians registered at the time of admission may meet "
                        "residents in the visitors' lounge of each block between 9:00 am and "
                        "7:00 pm on all days. Visitors sign the visitors' register and show a "
                        "photo identity document.",
                        "Visitors are not allowed in the rooms, except parents helping with "
                        "check-in on the check-in days.",
                        "Other visitors (relatives, friends) may meet a resident only in the "
                        "visitors' lounge, with prior permission from the warden.",
                        "No guest may stay overnight in a resident's room. Day scholars are not "
                        "allowed to stay overnight in the hostels.",
                        "Guest rooms: the Guest House near Gate 1 has 8 rooms for visiting "
                        "parents at Rs. 600 per room per night (up to two persons). A guest room "
                        "can be booked for at most 3 nights at a time, at least 48 hours in "
                        "advance, through the Hostel Office (+91 20 4567 1300, "
                        "hostel@kvc.edu.in).",
                        "A resident who keeps an unauthorised guest in the room is fined Rs. "
                        "2,000 for the first instance; a second instance leads to removal from "
                        "the hostel.",
                    ],
                ),
            ],
        },
        {
            "heading": "9. Penalties and Refund of Caution Deposit",
            "blocks": [
                (
                    "ul",
                    [
                        "Possession of a prohibited appliance: appliance confiscated until the "
                        "end of the semester and a fine of Rs. 1,000",
                        "Unauthorised guest in the room: fine of Rs. 2,000 (second instance: "
                        "removal from the hostel)",
                        "Smoking or alcohol in the hostel: fine of Rs. 5,000, letter to parents "
                        "and referral to the Disciplinary Committee; a second instance leads to "
                        "removal from the hostel",
                        "Ragging in any form: dealt with under the Anti-Ragging Policy, "
                        "including immediate removal from the hostel",
                    ],
                ),
                (
                    "p",
                    "The hostel caution deposit of Rs. 5,000 is refunded within 45 days of "
                    "vacating the hostel for the last time, after deducting any dues or damages. "
                    "Apply through the No-Dues form on KVC Connect after returning the room keys "
                    "at the Hostel Office.",
                ),
            ],
        },
    ],
}


SCHOLARSHIPS = {
    "filename": "scholarships_and_financial_aid.pdf",
    "short_title": "Scholarships and Financial Aid",
    "title": "Scholarships and Financial Aid 2026-27",
    "subtitle": (
        "Issued by the Scholarship Cell - institutional scholarships, government schemes, fee "
        "instalments"
    ),
    "intro": [
        "KVC believes that no deserving student should leave the college for lack of money. The "
        "college funds its own scholarships from the Kestrel Valley Education Trust and alumni "
        "donations, helps students apply for government scholarships, and allows eligible "
        "students to pay fees in instalments. This document explains each scheme, the "
        "eligibility, the amount, how to apply and the deadlines for 2026-27.",
    ],
    "sections": [
        {
            "heading": "1. Scholarship Cell",
            "blocks": [
                (
                    "ul",
                    [
                        "Scholarship Officer: Mrs. Anjali Bhosale",
                        "Office: Room A-108, Administrative Block (Building A), ground floor",
                        "Phone: +91 20 4567 1130",
                        "E-mail: scholarships@kvc.edu.in",
                        "Office hours: Monday to Friday, 10:00 am to 4:00 pm",
                        "Chairperson of the Scholarship Committee: Dr. Sameer Kulkarni, Dean of "
                        "Student Welfare",
                    ],
                ),
            ],
        },
        {
            "heading": "2. KVC Institutional Scholarships",
            "blocks": [
                (
                    "p",
                    "The following scholarships are funded by KVC. Amounts are per academic year "
                    "unless stated otherwise.",
                ),
                ("h3", "2.1 Kestrel Merit Scholarship"),
                (
                    "ul",
                    [
                        "For: continuing students from the second year onwards, in every programme",
                        "Amount: Rs. 40,000 per year for the student ranked first in each year "
                        "of each programme; Rs. 20,000 per year for the students ranked second "
                        "and third",
                        "Criteria: ranking by CGPA at the end of the previous academic year; "
                        "minimum CGPA 8.5; no backlog; at least 85% attendance in every course; "
                        "no disciplinary action",
                        "Selection is automatic on the basis of results, but the student must "
                        "still submit the online application to provide bank details.",
                    ],
                ),
                ("h3", "2.2 Vasantrao Deshmukh Need-cum-Merit Scholarship"),
                (
                    "p",
                    "Named after Late Shri Vasantrao Deshmukh, founder of the Kestrel Valley "
                    "Education Trust.",
                ),
                (
                    "ul",
                    [
                        "For: students of all programmes and years whose family income is low",
                        "Amount: Rs. 30,000 per year; 40 awards in 2026-27",
                        "Criteria: total family income from all sources up to Rs. 4,00,000 per "
                        "year (financial year 2025-26); CGPA of at least 7.0, or for first-year "
                        "students at least 70% in the qualifying examination (Class 12 for "
                        "B.Tech. and B.Sc., degree for PG)",
                        "Shortlisted applicants attend an interview with the Scholarship "
                        "Committee from Tuesday, 15 September to Saturday, 19 September 2026.",
                    ],
                ),
                ("h3", "2.3 Amberpur Women in Engineering and Science Scholarship"),
                (
                    "ul",
                    [
                        "For: women students of B.Tech. and B.Sc. programmes",
                        "Amount: Rs. 25,000 per year; 20 awards in 2026-27",
                        "Criteria: family income up to Rs. 8,00,000 per year; CGPA of at least "
                        "7.5, or for first-year students at least 75% in Class 12",
                    ],
                ),
                ("h3", "2.4 Talon Sports Excellence Award"),
                (
                    "ul",
                    [
                        "For: students who represented KVC, ATU, the state or the country in a "
                        "recognised sport in the previous 12 months",
                        "Amount: Rs. 15,000 per year for state-level or university-level "
                        "representation; Rs. 25,000 per year for national-level or international "
                        "representation; 10 awards in 2026-27",
                        "Criteria: participation certificate from the organising federation or "
                        "university; recommendation of the Director of Physical Education; "
                        "passing all courses of the previous year",
                    ],
                ),
                ("h3", "2.5 Alumni Emergency Support Fund"),
                (
                    "ul",
                    [
                        "For: any student facing sudden financial hardship, such as the death or "
                        "serious illness of an earning parent, loss of the family's income, or "
                        "damage from a natural disaster",
                        "Amount: one-time grant of up to Rs. 20,000",
                        "How to apply: at any time of the year, by e-mail to "
                        "scholarships@kvc.edu.in or in person at Room A-108, with supporting "
                        "documents. Decisions are made within 10 working days.",
                    ],
                ),
                ("h3", "2.6 Earn While You Learn"),
                (
                    "ul",
                    [
                        "Part-time work on campus in the library, laboratories, IT Helpdesk and "
                        "offices for students who need financial support",
                        "Payment: Rs. 150 per hour, up to 40 hours per month, paid monthly to "
                        "the student's bank account",
                        "Work is limited to hours outside the student's timetable. Apply at the "
                        "Scholarship Cell at the start of each semester.",
                    ],
                ),
                ("h3", "2.7 General rules for institutional scholarships"),
                (
                    "ol",
                    [
                        "A student can hold only one of the scholarships in 2.1 to 2.4 in a "
                        "year. If selected for more than one, the student receives the one with "
                        "the higher amount. The Alumni Emergency Support Fund and Earn While You "
                        "Learn can be combined with any scholarship.",
                        "A student receiving a government scholarship or fee reimbursement may "
                        "also receive a KVC scholarship, but the total of all scholarships "
                        "cannot exceed the total fees for the year.",
                        "Scholarships are awarded for one year at a time. Students must apply "
                        "again every year; continuing the award depends on meeting the criteria "
                        "again.",
                        "A scholarship is withdrawn if the student is found to have given false "
                        "information, is punished for ragging or malpractice, or leaves the "
                        "college. Amounts already paid are then recovered.",
                    ],
                ),
            ],
        },
        {
            "heading": "3. How to Apply for a KVC Scholarship",
            "blocks": [
                (
                    "p",
                    "Applications for all KVC institutional scholarships (Sections 2.1 to 2.4) "
                    "for 2026-27 open on Wednesday, 15 July 2026. The last date to apply for KVC "
                    "institutional scholarships is Monday, 31 August 2026, 5:00 pm. Late "
                    "applications are not accepted.",
                ),
                (
                    "ol",
                    [
                        "Log in to KVC Connect (erp.kvc.edu.in) and open Scholarships > Apply.",
                        "Select the scholarship(s) you want to apply for. You may apply for more "
                        "than one.",
                        "Fill in the form and upload the documents: income certificate for "
                        "financial year 2025-26 issued by the Tahsildar (for need-based "
                        "scholarships), grade card of the previous year or Class 12 marksheet "
                        "for first-year students, first page of a bank passbook in the student's "
                        "own name showing the IFSC, Aadhaar card, and sports certificates (for "
                        "the sports award).",
                        "Submit the form online by Monday, 31 August 2026, 5:00 pm. Download the "
                        "acknowledgement; no printed copy needs to be submitted.",
                        "Shortlisted applicants for the Need-cum-Merit Scholarship are called "
                        "for an interview between 15 and 19 September 2026 and must bring the "
                        "original documents.",
                        "Results are published on KVC Connect on Wednesday, 30 September 2026.",
                        "The scholarship amount is adjusted against the student's even-semester "
                        "fees. If the amount is more than the fees due, the balance is "
                        "transferred to the student's bank account by Friday, 29 January 2027.",
                    ],
                ),
                (
                    "p",
                    "For help with the application, visit the Scholarship Cell in Room A-108 or "
                    "e-mail scholarships@kvc.edu.in with your roll number.",
                ),
            ],
        },
        {
            "heading": "4. Government Scholarships",
            "blocks": [
                (
                    "ol",
                    [
                        "Maharashtra government scholarships and fee reimbursement schemes (for "
                        "eligible students with Maharashtra domicile in the SC, ST, OBC, VJ/NT, "
                        "SBC, EBC and EWS categories) are applied for online on the MahaDBT "
                        "portal at mahadbt.maharashtra.gov.in. These include the Government of "
                        "India Post-Matric Scholarship and the Rajarshi Chhatrapati Shahu "
                        "Maharaj Shikshan Shulkh Shishyavrutti Yojana.",
                        "Central government schemes, including the AICTE Pragati Scholarship for "
                        "girl students and the AICTE Saksham Scholarship for students with "
                        "disabilities (technical programmes), are applied for on the National "
                        "Scholarship Portal at scholarships.gov.in.",
                        "Deadlines and amounts for government schemes are set by the government "
                        "and announced on the portals; the Scholarship Cell circulates them by "
                        "e-mail as soon as they are notified.",
                        "After submitting online, hand in a printed copy of the application with "
                        "the documents at the Scholarship Cell within 7 days, so that the "
                        "college can verify and forward it.",
                        "Students who have applied for fee reimbursement on MahaDBT may pay only "
                        "the non-reimbursable part of the fees by the last date, on showing the "
                        "MahaDBT application acknowledgement at the Accounts Office. If the "
                        "application is rejected, the balance must be paid within 30 days of the "
                        "rejection, without late fee.",
                    ],
                ),
            ],
        },
        {
            "heading": "5. Fee Instalment Facility",
            "blocks": [
                (
                    "p",
                    "Students who cannot pay a semester's fees at once may apply to pay them in "
                    "two instalments.",
                ),
                (
                    "ol",
                    [
                        "Eligibility: family income up to Rs. 8,00,000 per year, or a sudden "
                        "financial difficulty certified by the Dean of Student Welfare. Students "
                        "who defaulted on an earlier instalment are not eligible.",
                        "The instalments cover all semester fees (tuition, development, "
                        "activity, examination, hostel, mess and bus fees).",
                        "Odd semester 2026: apply by Wednesday, 15 July 2026. First instalment "
                        "(60% of the semester fees) by Friday, 31 July 2026; second instalment "
                        "(40%) by Wednesday, 30 September 2026.",
                        "Even semester 2027: apply by Monday, 4 January 2027. First instalment "
                        "(60%) by Friday, 15 January 2027; second instalment (40%) by Wednesday, "
                        "31 March 2027.",
                        "A processing charge of Rs. 500 per semester is added to the first "
                        "instalment.",
                        "How to apply: KVC Connect > Fees > Instalment Request, with the income "
                        "certificate attached. The Accounts Officer decides within 3 working "
                        "days.",
                        "If an instalment is paid late, the late fee given in the Fees and "
                        "Deadlines document is charged on the unpaid instalment, and the "
                        "facility is not available for the next semester.",
                    ],
                ),
            ],
        },
        {
            "heading": "6. Education Loans",
            "blocks": [
                (
                    "p",
                    "Students may take education loans from any bank, or apply through the "
                    "Government of India's PM-Vidyalaxmi portal. The Accounts Office (Room "
                    "A-104, accounts@kvc.edu.in) issues the bonafide certificate and the fee "
                    "structure letter needed by banks within 3 working days. Fees paid by the "
                    "bank directly to the college are treated as paid on the date the bank "
                    "sanction letter is submitted, provided the money is received within 30 days.",
                ),
            ],
        },
    ],
}

DOCUMENTS = [EXAMINATIONS, HOSTEL, SCHOLARSHIPS]


class KBPDF(FPDF):
    """A4 document with the college name in the header and page numbers in the footer."""

    def __init__(self, short_title):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.short_title = short_title
        self.set_margins(left=20, top=22, right=20)
        self.set_auto_page_break(auto=True, margin=20)

    def header(self):
        self.set_font("Helvetica", "", 8)
        self.set_text_color(90, 90, 90)
        self.set_y(10)
        self.cell(0, 5, COLLEGE, align="L")
        self.set_x(self.l_margin)
        self.cell(0, 5, self.short_title, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_draw_color(160, 160, 160)
        self.line(self.l_margin, 16, self.w - self.r_margin, 16)
        self.set_text_color(0, 0, 0)
        self.set_y(22)

    def footer(self):
        self.set_y(-14)
        self.set_font("Helvetica", "", 8)
        self.set_text_color(90, 90, 90)
        self.cell(0, 5, FOOTER_TEXT, align="L")
        self.set_x(self.l_margin)
        self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="R")
        self.set_text_color(0, 0, 0)

    # ---- content helpers -------------------------------------------------
    def ensure_space(self, height):
        if self.get_y() + height > self.page_break_trigger:
            self.add_page()

    def title_block(self, title, subtitle):
        self.set_font("Helvetica", "B", 17)
        self.multi_cell(
            0, 8, COLLEGE.split(" (KVC)")[0], align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        self.set_font("Helvetica", "", 10)
        self.multi_cell(
            0,
            5,
            "Kestrel Valley Road, Amberpur, Maharashtra 411 987 - www.kvc.edu.in",
            align="L",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        self.ln(4)
        self.set_font("Helvetica", "B", 15)
        self.multi_cell(0, 7, title, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font("Helvetica", "I", 10)
        self.multi_cell(0, 5, subtitle, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(5)

    def heading(self, text):
        self.ensure_space(22)
        self.ln(2)
        self.set_font("Helvetica", "B", 13)
        self.multi_cell(0, 7, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1)

    def subheading(self, text):
        self.ensure_space(16)
        self.ln(1)
        self.set_font("Helvetica", "B", 11)
        self.multi_cell(0, 6, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def paragraph(self, text):
        self.set_font("Helvetica", "", 10.5)
        self.multi_cell(0, 5.4, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2)

    def list_items(self, items, numbered):
        self.set_font("Helvetica", "", 10.5)
        indent = 7
        for i, item in enumerate(items, start=1):
            marker = f"{i}." if numbered else "-"
            self.ensure_space(11)
            y = self.get_y()
            self.set_x(self.l_margin + 1)
            self.cell(indent - 1, 5.4, marker)
            self.set_xy(self.l_margin + indent, y)
            self.multi_cell(
                self.w - self.r_margin - self.l_margin - indent,
                5.4,
                item,
                align="L",
                new_x=XPos.LMARGIN,
                new_y=YPos.NEXT,
            )
            self.ln(0.8)
        self.ln(1.5)


def check_text(doc):
    """Core fonts only cover latin-1; keep the content to plain ASCII to be safe."""

    def walk(value):
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for v in value.values():
                yield from walk(v)
        elif isinstance(value, (list, tuple)):
            for v in value:
                yield from walk(v)

    for text in walk(doc):
        bad = sorted({ch for ch in text if ord(ch) > 126})
        if bad:
            raise ValueError(f"{doc['filename']}: non-ASCII characters {bad!r} in: {text[:60]!r}")


def build(doc, out_dir):
    check_text(doc)
    pdf = KBPDF(doc["short_title"])
    pdf.set_title(doc["title"])
    pdf.set_author("Kestrel Valley College of Engineering and Science")
    pdf.set_subject(f"{doc['short_title']} - KVC student knowledge base")
    pdf.set_keywords("KVC, Kestrel Valley College, student handbook, 2026-27")
    pdf.set_creator("scripts/make_kb_pdfs.py")
    pdf.set_producer("fpdf2")
    pdf.set_creation_date(CREATION_DATE)
    pdf.add_page()
    pdf.title_block(doc["title"], doc["subtitle"])
    for para in doc["intro"]:
        pdf.paragraph(para)
    for section in doc["sections"]:
        pdf.heading(section["heading"])
        for kind, content in section["blocks"]:
            if kind == "p":
                pdf.paragraph(content)
            elif kind == "h3":
                pdf.subheading(content)
            elif kind == "ul":
                pdf.list_items(content, numbered=False)
            elif kind == "ol":
                pdf.list_items(content, numbered=True)
            else:
                raise ValueError(f"unknown block type {kind!r}")
    out_path = out_dir / doc["filename"]
    pdf.output(str(out_path))
    return out_path, pdf.pages_count


def main():
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    for doc in DOCUMENTS:
        path, pages = build(doc, DATA_DIR)
        print(f"wrote {path.relative_to(DATA_DIR.parent)} ({pages} pages)")


if __name__ == "__main__":
    main()
